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
 */
type Slots = Record<symbol, number | undefined>;

export class SlotSet<T extends object> {
  private items: T[] = [];

  /** `slot`: the property an item keeps its index under (one symbol per kind of set). */
  constructor(private readonly slot: symbol) {}

  get size(): number {
    return this.items.length;
  }

  has(x: T): boolean {
    const i = (x as Slots)[this.slot];
    return i !== undefined && i >= 0 && this.items[i] === x;
  }

  add(x: T): void {
    if (this.has(x)) return;
    (x as Slots)[this.slot] = this.items.push(x) - 1;
  }

  delete(x: T): boolean {
    const i = (x as Slots)[this.slot];
    if (i === undefined || i < 0 || this.items[i] !== x) return false;
    const last = this.items.pop()!;
    if (last !== x) {
      this.items[i] = last;
      (last as Slots)[this.slot] = i;
    }
    (x as Slots)[this.slot] = -1;
    return true;
  }

  /** The items now, as a copy: the caller may add and delete while it walks them. */
  toArray(): T[] {
    return this.items.slice();
  }

  clear(): void {
    for (const x of this.items) (x as Slots)[this.slot] = -1;
    this.items = [];
  }
}
