// Where the live queue's boxes sit in the drawing, and where a message in flight is at a given moment.
// Two layouts: side by side (producer | broker | workers) for a wide column, stacked (producer over broker
// over a row of workers) for a phone. Plain geometry, no Vue, so it is easy to read and to test.
import type { Message, NodeName } from '../sim/world.ts';

export interface Box {
  /** centre x, centre y, half width, half height, in the drawing's own units (its viewBox). */
  cx: number;
  cy: number;
  hw: number;
  hh: number;
}

export interface Layout {
  width: number;
  height: number;
  boxes: Map<NodeName, Box>;
}

export interface Point {
  x: number;
  y: number;
}

export function layoutFor(workerNames: readonly NodeName[], narrow: boolean): Layout {
  const boxes = new Map<NodeName, Box>();
  const n = Math.max(1, workerNames.length);
  if (narrow) {
    const width = 360;
    const slot = width / n;
    boxes.set('producer', { cx: width / 2, cy: 42, hw: 90, hh: 32 });
    boxes.set('broker', { cx: width / 2, cy: 186, hw: 110, hh: 58 });
    workerNames.forEach((name, i) => boxes.set(name, { cx: slot * (i + 0.5), cy: 360, hw: slot / 2 - 6, hh: 44 }));
    return { width, height: 410, boxes };
  }
  const height = Math.max(300, n * 100);
  const slot = height / n;
  boxes.set('producer', { cx: 80, cy: height / 2, hw: 70, hh: 38 });
  boxes.set('broker', { cx: 330, cy: height / 2, hw: 110, hh: 62 });
  workerNames.forEach((name, i) => boxes.set(name, { cx: 575, cy: slot * (i + 0.5), hw: 70, hh: 42 }));
  return { width: 660, height, boxes };
}

/** Where the straight line from a box's centre towards `toward` leaves the box. */
function edge(box: Box, toward: Point): Point {
  const dx = toward.x - box.cx;
  const dy = toward.y - box.cy;
  if (dx === 0 && dy === 0) return { x: box.cx, y: box.cy };
  const t = Math.min(dx === 0 ? Infinity : box.hw / Math.abs(dx), dy === 0 ? Infinity : box.hh / Math.abs(dy));
  return { x: box.cx + dx * t, y: box.cy + dy * t };
}

/** The visible part of the link between two boxes: from the edge of one to the edge of the other. */
export function linkEnds(a: Box, b: Box): [Point, Point] {
  return [edge(a, { x: b.cx, y: b.cy }), edge(b, { x: a.cx, y: a.cy })];
}

/**
 * A message's place on its link at time `now`: the share of its trip done so far, along the link, shifted a
 * little to one side by direction so that a request and its reply on the same link do not cover each other.
 * `still` (prefers-reduced-motion): the message is drawn at the middle of its link until it arrives, no gliding.
 */
export function messagePosition(layout: Layout, m: Message, now: number, still: boolean): Point | null {
  const from = layout.boxes.get(m.from);
  const to = layout.boxes.get(m.to);
  if (!from || !to) return null;
  const [a, b] = linkEnds(from, to);
  const trip = m.deliverAt - m.sentAt;
  const done = still ? 0.5 : trip <= 0 ? 1 : Math.min(1, Math.max(0, (now - m.sentAt) / trip));
  const len = Math.hypot(b.x - a.x, b.y - a.y) || 1;
  const side = 6; // units to the left of the direction of travel
  return {
    x: a.x + (b.x - a.x) * done + ((b.y - a.y) / len) * side,
    y: a.y + (b.y - a.y) * done - ((b.x - a.x) / len) * side,
  };
}
