"""
Synthetic consultations with known, documented patterns.

The generator draws every consultation from an explicit model (intraday shapes,
calendar effects, campaigns, an intake outage, overseas customers, load-dependent
service quality) so that later analyses can be checked against what was injected.
The model is written to a ground-truth JSON file next to the data.

Modules, in the order the data flows:

- `catalogue`: the dimension values, teams and customer zones, with their weights.
- `profiles`: hour-of-day shapes and the staffed capacity.
- `scenario`: the calendar (holidays, campaigns, month ends, outages).
- `volume`: expected arrivals per 15-minute slot and the draw of start times.
- `population`: the customers and agents, before they are stored.
- `records`: every other field of a consultation, vectorised per day.
- `service`: waits, abandonment, handling times, ratings and messages.
- `dimensions`: the database rows of dimensions, agents and customers.
- `writer`: bulk writes of consultations, skipping keys already present.
- `truth`: the ground-truth document.
- `generator`: the entry point used by the management command.
"""
