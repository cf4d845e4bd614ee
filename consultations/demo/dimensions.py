"""
Database rows of the demo dimensions, agents and customers, created when missing.

Existing rows are left as they are, so names an operator edited in the admin survive
a second run. The returned lookup maps catalogue positions to primary keys.
"""

from dataclasses import dataclass

import numpy as np
import pytz
from django.db import models, transaction

from ..models import (
    Agent,
    BusinessLine,
    Channel,
    ConsultationType,
    Customer,
    CustomerTier,
    ProductCategory,
    Skill,
    Team,
)
from .catalogue import (
    CHANNELS,
    CONSULTATION_TYPES,
    CUSTOMER_PREFIX,
    CUSTOMER_TIERS,
    LINES,
    OVERSEAS_ZONES,
    PRODUCT_CATEGORIES,
    SKILLS,
    TEAMS,
)
from .population import CustomerPool, Roster

BATCH_SIZE = 2000


@dataclass(frozen=True)
class Lookup:
    """Primary keys in catalogue order, for turning positions into foreign keys."""

    channel: np.ndarray
    consultation_type: np.ndarray
    business_line: np.ndarray
    product_category: np.ndarray
    customer_tier: np.ndarray
    team: np.ndarray
    agent: np.ndarray
    customer: np.ndarray


def ensure_rows(*, customers: CustomerPool, roster: Roster, time_zone: str) -> Lookup:
    """Create the demo dimension values, agents and customers that do not exist yet."""
    with transaction.atomic():
        channel = _dimension(
            Channel, [(code, {"name": name, "medium": m}) for code, name, m in CHANNELS]
        )
        kind = _dimension(ConsultationType, _named(CONSULTATION_TYPES))
        line = _dimension(BusinessLine, [(ln.code, {"name": ln.name}) for ln in LINES])
        category = _dimension(ProductCategory, _named(PRODUCT_CATEGORIES))
        tier = _dimension(CustomerTier, _named(CUSTOMER_TIERS))
        team = _dimension(Team, [(t.code, {"name": t.name}) for t in TEAMS])
        _dimension(
            Skill, [(code, {"name": name, "kind": k}) for code, name, k in SKILLS]
        )
        agent = _agents(roster, team)
    customer = _customers(customers, tier, time_zone)
    return Lookup(
        channel=channel,
        consultation_type=kind,
        business_line=line,
        product_category=category,
        customer_tier=tier,
        team=team,
        agent=agent,
        customer=customer,
    )


def _named(pairs: tuple[tuple[str, str], ...]) -> list[tuple[str, dict[str, str]]]:
    return [(code, {"name": name}) for code, name in pairs]


def _dimension(
    model: type[models.Model], values: list[tuple[str, dict[str, str]]]
) -> np.ndarray:
    keys = []
    for code, defaults in values:
        row, _created = model.objects.get_or_create(code=code, defaults=defaults)
        keys.append(row.pk)
    return np.array(keys, dtype=np.int64)


def _agents(roster: Roster, team_keys: np.ndarray) -> np.ndarray:
    """Create missing agents, with their skills, and return keys in roster order."""
    wanted = [spec.external_id for spec in roster.agents]
    existing = set(
        Agent.objects.filter(external_id__in=wanted).values_list(
            "external_id", flat=True
        )
    )
    team_index = {team.code: i for i, team in enumerate(TEAMS)}
    missing = [spec for spec in roster.agents if spec.external_id not in existing]
    Agent.objects.bulk_create(
        Agent(
            external_id=spec.external_id,
            name=spec.name,
            team_id=int(team_keys[team_index[spec.team.code]]),
            employment=spec.team.employment,
            contract_hours_per_week=spec.team.contract_hours,
        )
        for spec in missing
    )

    keys = dict(
        Agent.objects.filter(external_id__in=wanted).values_list("external_id", "pk")
    )
    skills = dict(Skill.objects.values_list("code", "pk"))
    Agent.skills.through.objects.bulk_create(
        [
            Agent.skills.through(agent_id=keys[spec.external_id], skill_id=skills[code])
            for spec in missing
            for code in spec.team.skills
        ],
        ignore_conflicts=True,
    )
    return np.array([keys[external_id] for external_id in wanted], dtype=np.int64)


def _customers(pool: CustomerPool, tier_keys: np.ndarray, time_zone: str) -> np.ndarray:
    """Create missing customers in batches and return keys in pool order."""
    zones = [time_zone, *(zone.name for zone in OVERSEAS_ZONES)]
    countries = [home_country(time_zone), *(z.country for z in OVERSEAS_ZONES)]
    rows = (
        Customer(
            external_id=external_id,
            tier_id=int(tier_keys[pool.tier[i]]),
            country=countries[pool.zone[i]],
            timezone=zones[pool.zone[i]],
        )
        for i, external_id in enumerate(pool.external_ids)
    )
    Customer.objects.bulk_create(rows, batch_size=BATCH_SIZE, ignore_conflicts=True)

    keys = dict(
        Customer.objects.filter(external_id__startswith=CUSTOMER_PREFIX).values_list(
            "external_id", "pk"
        )
    )
    return np.array([keys[external_id] for external_id in pool.external_ids])


def home_country(time_zone: str) -> str:
    """Return the ISO country of a zone when exactly one country uses it, else ""."""
    countries = [
        country
        for country, zones in pytz.country_timezones.items()
        if time_zone in zones
    ]
    return countries[0] if len(countries) == 1 else ""
