// Preloaded with `node --import` by the benchmark: reports the process's total CPU time (user +
// system, all threads, from process start) on exit, so the figures hold on a busy machine too.
process.on('exit', () => {
  const { user, system } = process.cpuUsage();
  process.stderr.write(`\n@@cpu-ms ${((user + system) / 1000).toFixed(3)}\n`);
});
