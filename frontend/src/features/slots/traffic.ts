import type { components } from "@/api/schema";

export type ActiveSlot = components["schemas"]["ActiveSlot"];

export interface TrafficArm {
  id: number;
  name: string;
  weight: number;
  /** Share of requests, 0 to 1, as the inference service routes them. */
  share: number;
}

/** The slots that receive traffic, largest share first; idle active slots are left out. */
export function trafficArms(slots: readonly ActiveSlot[]): TrafficArm[] {
  return slots
    .filter((slot) => slot.traffic_share > 0)
    .map(({ id, name, weight, traffic_share }) => ({ id, name, weight, share: traffic_share }))
    .sort((a, b) => b.share - a.share || a.id - b.id);
}

// Distinct in light and dark themes, and each readable against white text.
export const ARM_COLORS = ["#2563eb", "#c2410c", "#047857", "#7c3aed", "#be123c", "#0e7490"];
