"""The `pick_suboptimal` scenario kind, the paper's Table 1 experiment: `pick`'s regions and
experts, but the behaviors that get weighted are the demos' quality — `optimal` demos and
sloppy `suboptimal` ones, each spread over the regions in turn. Success is still reported
per region."""
from __future__ import annotations

from balancebc import registry
from balancebc.scenarios.base import BALANCED, SIMULATED, WITHOUT, demo_counts, demonstrated
from balancebc.scenarios.pick import Pick

BEHAVIORS = ("optimal", "suboptimal")

# The paper's Table 1 (picking, a small share of suboptimal demos): weight and reference
# loss of the suboptimal / optimal data. Rows are this pipeline's default method names.
PAPER_TABLE1 = {
    "caption": "The paper's Table 1 (picking; CALVIN, GMM policies — its losses are on another scale):",
    "behaviors": ("suboptimal", "optimal"),
    "rows": {
        "natural": {"weights": (0.33, 0.67), "losses": None},
        "dro_zero": {"weights": (0.5, 0.5), "losses": (0.0, 0.0)},
        "dro_remix": {"weights": (0.5348, 0.4652), "losses": (0.520, 0.9337)},
        "dro_metagrad": {"weights": (0.0633, 0.9367), "losses": (1.893, 1.505)},
    },
}


class PickSuboptimal(Pick):
    name = "pick_suboptimal"
    paper_table = PAPER_TABLE1
    schema = {
        "required": ["seed", "regions", "demos", "suboptimal", "valid_fraction", "horizon"],
        "properties": {
            **SIMULATED,
            "regions": {"$ref": "#/$defs/regions"},
            "demos": {"description": "successful demos per behavior, each spread over the regions in turn",
                      "type": "object", "additionalProperties": False, "minProperties": 1,
                      "properties": {b: {"type": "integer", "minimum": 1} for b in BEHAVIORS}},
            "balanced": BALANCED,
            "without": WITHOUT,
            "suboptimal": {
                "description": "how the suboptimal demos are sloppy (a style and its settings)",
                "type": "object", "additionalProperties": False, "required": ["style"],
                "properties": {
                    "style": {"enum": ["noisy", "hesitant", "detour"]},
                    "noise": {"type": "number", "minimum": 0, "default": 0.3,
                              "description": "noisy: std of Gaussian noise on the hand's actions"},
                    "pause_prob": {"type": "number", "minimum": 0, "maximum": 1, "default": 0.1,
                                   "description": "hesitant: chance per step of starting a pause"},
                    "pause_steps": {"type": "integer", "minimum": 1, "default": 6,
                                    "description": "hesitant: steps per pause"},
                    "detour_side": {"type": "number", "minimum": 0, "default": 0.12,
                                    "description": "detour: sideways offset (m) of the waypoint"},
                    "detour_up": {"type": "number", "minimum": 0, "default": 0.15,
                                  "description": "detour: height (m) of the waypoint above the block"}}},
        },
    }

    def check(self, scenario):
        return demonstrated(scenario, list(BEHAVIORS))[1]

    def behaviors(self, scenario, masks):
        return demonstrated(scenario, list(BEHAVIORS))[0]

    def demo_plan(self, scenario):
        """Optimal and suboptimal demos, each spread over the regions in turn."""
        regions, counts = list(scenario["regions"]), demo_counts(scenario)
        return [(b, regions[j % len(regions)], scenario["suboptimal"] if b == "suboptimal" else None)
                for b in BEHAVIORS if b in counts for j in range(counts[b])]


registry.SCENARIOS.register(PickSuboptimal())
