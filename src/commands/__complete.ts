import { BaseCommand } from '../cli/base.js';
import { completeFast } from '../cli/completion/fast.js';

/** What the completion scripts call at each Tab (normally answered by the fast path in bin/run.js). */
export default class Complete extends BaseCommand {
  static override hidden = true;
  static override strict = false;
  static override summary = 'Print completion candidates for the words typed so far.';

  async run(): Promise<void> {
    // Everything after `__complete` is the user's words, flags included: not ours to parse.
    await completeFast(this.argv);
  }
}
