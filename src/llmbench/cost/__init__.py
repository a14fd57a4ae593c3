"""What a call cost, what a run may cost, and what a local answer costs in electricity or hardware time.

Hosted prices live in data, never in code: a dated, versioned table (`data/prices.yaml`, US dollars per
1 million tokens) whose entries say when they applied, so the price of R1 at its launch and today's price
can coexist and every call is priced with the rates in force at its own timestamp, time-of-day windows
included (DeepSeek's off-peak hours). A price is looked up, in order, in:

1. the user's overrides (`prices:` in llmbench.yaml, same schema as a table entry, keyed by target name
   or model),
2. the bundled table (its keys and aliases),
3. litellm's bundled `model_cost` map (per-token USD, converted to per 1M; litellm is imported only
   here, lazily, and told to use its local copy so no traffic leaves),
4. nothing: the cost is None and the reason says where it looked.

`PriceTable.describe()` says which table, which sources and which entries were actually used, to be
stored with each run so a report can show where its dollars came from.

Local models (Ollama, embedded llama.cpp) have no price per token: `LocalCostModel` turns wall time into
dollars, either as energy (watts x seconds, at $/kWh) or as a rented-hardware hourly rate, with an
optional "same weights on a hosted API" figure beside it. The default (350 W at $0.20/kWh) is an
assumption, not a measurement, and a report must say so: `LocalCostModel.statement()` is the sentence.

Split by what each part prices: `prices` (an entry, its dates and time-of-day windows), `table`
(the lookup: overrides, bundled table, litellm), `bill` (one hosted call), `local` (energy, hardware
hour), `pricer` (the `Pricer` facade and the budget's worst case).
"""

from llmbench.cost.bill import CallCost, price_call
from llmbench.cost.local import (
    DEFAULT_LOCAL_COST,
    DEFAULT_USD_PER_KWH,
    DEFAULT_WATTS,
    LocalCostModel,
    local_cost_for,
    parse_local_costs,
    price_local,
)
from llmbench.cost.pricer import Pricer, cost_per_correct, estimate_prompt_tokens, projection, worst_case_usd
from llmbench.cost.prices import BUNDLED_PRICES, PER_MILLION, PriceEntry, PricePeriod, Rates, parse_prices
from llmbench.cost.table import LOOKUP_ORDER, PriceMatch, PriceTable, always_local, candidate_keys

__all__ = [
    "BUNDLED_PRICES",
    "CallCost",
    "DEFAULT_LOCAL_COST",
    "DEFAULT_USD_PER_KWH",
    "DEFAULT_WATTS",
    "LOOKUP_ORDER",
    "LocalCostModel",
    "PER_MILLION",
    "PriceEntry",
    "PriceMatch",
    "PricePeriod",
    "PriceTable",
    "Pricer",
    "Rates",
    "always_local",
    "candidate_keys",
    "cost_per_correct",
    "estimate_prompt_tokens",
    "local_cost_for",
    "parse_local_costs",
    "parse_prices",
    "price_call",
    "price_local",
    "projection",
    "worst_case_usd",
]
