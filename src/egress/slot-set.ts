/**
 * A set of objects that keep their own position in it, for the data path's per-connection
 * bookkeeping (accepted connections, ClientHello deadlines, upstream connect and idle deadlines).
 *
 * Why not a Set: every connection enters and leaves four of them, and a Set hashes on each add and
 * delete and rehashes its table as deleted entries pile up (issue 17: 1.3 us of CPU per connection,
 * measured with perf, and its table is an old-space object pointing at young ones, which every
 * scavenge must visit). Here an item records its index under the set's symbol: add is a push,
 * delete moves the last item into the hole. Order is not kept. A class whose objects enter a
 * SlotSet declares the slot as a field (`[kSlot] = -1`) so that entering does not change its shape.
 * Each kind of set is a subclass naming its slot (see `slot`).
 */
export abstract class SlotSet<T extends object> {
  private items: T[] = [];

  /**
   * The item's index in this set (-1 or undefined: not in it). Each kind of set reads its own
   * constant symbol in a subclass: one generic `x[this.slot]` would be a megamorphic keyed load at
   * every call (measured: 0.9 us per connection with perf).
   */
  protected abstract slot(x: T): number | undefined;
  protected abstract setSlot(x: T, i: number): void;

  get size(): number {
    return this.items.length;
  }

  has(x: T): boolean {
    const i = this.slot(x);
    return i !== undefined && i >= 0 && this.items[i] === x;
  }

  add(x: T): void {
    if (this.has(x)) return;
    this.setSlot(x, this.items.push(x) - 1);
  }

  delete(x: T): boolean {
    const i = this.slot(x);
    if (i === undefined || i < 0 || this.items[i] !== x) return false;
    const last = this.items.pop()!;
    if (last !== x) {
      this.items[i] = last;
      this.setSlot(last, i);
    }
    this.setSlot(x, -1);
    return true;
  }

  /**
   * Calls `fn` for each item in the set now, over a copy: `fn` may add and delete items (its own
   * or others); one deleted before its turn is skipped, one added meanwhile waits for the next walk.
   */
  forEach(fn: (x: T) => void): void {
    for (const x of this.items.slice()) if (this.has(x)) fn(x);
  }

  clear(): void {
    for (const x of this.items) this.setSlot(x, -1);
    this.items = [];
  }
}
