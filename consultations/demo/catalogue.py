"""
The dimension values of the demo organisation and the weights they are drawn with.

Names are stored as data, in English, like any value an operator types into the admin;
they are not translated by the code.
"""

from dataclasses import dataclass

SOURCE = "demo"
CUSTOMER_PREFIX = "demo-"
AGENT_PREFIX = "demo-"

CHANNELS: tuple[tuple[str, str, str], ...] = (
    # code, name, medium
    ("web", "Website", "chat"),
    ("app", "Mobile app", "chat"),
    ("wechat", "WeChat", "chat"),
    ("social", "Social media", "chat"),
    ("phone", "Phone", "voice"),
    ("email", "Email", "message"),
)
CHANNEL_CODES = tuple(code for code, _name, _medium in CHANNELS)
CHANNEL_MEDIA = tuple(medium for _code, _name, medium in CHANNELS)

CONSULTATION_TYPES: tuple[tuple[str, str], ...] = (
    ("pre_sales", "Pre-sales"),
    ("after_sales", "After-sales"),
    ("complaint", "Complaint"),
    ("tech_support", "Technical support"),
)
TYPE_CODES = tuple(code for code, _name in CONSULTATION_TYPES)

PRODUCT_CATEGORIES: tuple[tuple[str, str], ...] = (
    ("apparel", "Apparel"),
    ("electronics", "Consumer electronics"),
    ("home_appliances", "Home appliances"),
    ("beauty", "Beauty and personal care"),
    ("cloud_services", "Cloud services"),
    ("software_licences", "Software licences"),
    ("payments", "Payments"),
    ("loans", "Loans and credit"),
)
CATEGORY_CODES = tuple(code for code, _name in PRODUCT_CATEGORIES)

CUSTOMER_TIERS: tuple[tuple[str, str], ...] = (
    ("standard", "Standard"),
    ("vip", "VIP"),
    ("enterprise", "Enterprise"),
)
TIER_CODES = tuple(code for code, _name in CUSTOMER_TIERS)


@dataclass(frozen=True, kw_only=True)
class Line:
    """A business line and how its consultations are distributed."""

    code: str
    name: str
    share: float  # of an ordinary working day's volume
    weekend_factor: float
    holiday_factor: float
    overseas_share: float
    evening_peak: bool
    # Weights in the order of CHANNEL_CODES, TYPE_CODES, CATEGORY_CODES, TIER_CODES.
    channels: tuple[float, ...]
    types: tuple[float, ...]
    categories: tuple[float, ...]
    tiers: tuple[float, ...]
    pre_sales_conversion: float


LINES: tuple[Line, ...] = (
    Line(
        code="retail",
        name="Retail",
        share=0.5,
        weekend_factor=1.35,
        holiday_factor=1.25,
        overseas_share=0.08,
        evening_peak=True,
        channels=(0.18, 0.30, 0.25, 0.10, 0.12, 0.05),
        types=(0.40, 0.35, 0.10, 0.15),
        categories=(0.30, 0.30, 0.20, 0.20, 0, 0, 0, 0),
        tiers=(0.85, 0.15, 0),
        pre_sales_conversion=0.28,
    ),
    Line(
        code="enterprise",
        name="Enterprise",
        share=0.2,
        weekend_factor=0.2,
        holiday_factor=0.12,
        overseas_share=0.12,
        evening_peak=False,
        channels=(0.25, 0.05, 0.10, 0.02, 0.33, 0.25),
        types=(0.25, 0.20, 0.05, 0.50),
        categories=(0, 0, 0, 0, 0.6, 0.4, 0, 0),
        tiers=(0, 0.25, 0.75),
        pre_sales_conversion=0.15,
    ),
    Line(
        code="finance",
        name="Finance",
        share=0.3,
        weekend_factor=0.6,
        holiday_factor=0.45,
        overseas_share=0.04,
        evening_peak=False,
        channels=(0.12, 0.35, 0.15, 0.03, 0.30, 0.05),
        types=(0.30, 0.35, 0.15, 0.20),
        categories=(0, 0, 0, 0, 0, 0, 0.6, 0.4),
        tiers=(0.70, 0.30, 0),
        pre_sales_conversion=0.12,
    ),
)
LINE_CODES = tuple(line.code for line in LINES)

# Overseas customers reach the organisation without WeChat.
OVERSEAS_CHANNELS: tuple[float, ...] = (0.40, 0.20, 0, 0.05, 0.10, 0.25)

# Weekday factors of working days, Monday first; weekends use the line's factor.
WORKING_WEEKDAY_FACTORS: tuple[float, ...] = (1.08, 1.0, 1.0, 0.98, 0.95, 1.0, 1.0)


@dataclass(frozen=True, kw_only=True)
class Zone:
    """Where overseas customers live and how many of them do."""

    name: str
    country: str
    weight: float

    @property
    def slug(self) -> str:
        return self.name.lower().replace("/", "-").replace("_", "-")


OVERSEAS_ZONES: tuple[Zone, ...] = (
    Zone(name="America/New_York", country="US", weight=0.25),
    Zone(name="America/Los_Angeles", country="US", weight=0.10),
    Zone(name="Europe/Berlin", country="DE", weight=0.18),
    Zone(name="Europe/London", country="GB", weight=0.12),
    Zone(name="Asia/Kolkata", country="IN", weight=0.12),
    Zone(name="Asia/Kathmandu", country="NP", weight=0.05),
    Zone(name="Australia/Sydney", country="AU", weight=0.10),
    Zone(name="Asia/Tokyo", country="JP", weight=0.08),
)

SKILLS: tuple[tuple[str, str, str], ...] = (
    # code, name, kind
    *((code, name, "consultation_type") for code, name in CONSULTATION_TYPES),
    ("zh", "Mandarin Chinese", "language"),
    ("en", "English", "language"),
    *((line.code, line.name, "business_line") for line in LINES),
)


@dataclass(frozen=True, kw_only=True)
class TeamSpec:
    """A team of the demo organisation and the agents in it."""

    code: str
    name: str
    employment: str
    size: int
    skills: tuple[str, ...]
    contract_hours: int | None


TEAMS: tuple[TeamSpec, ...] = (
    TeamSpec(
        code="retail_care",
        name="Retail care",
        employment="in_house",
        size=20,
        skills=("retail", *TYPE_CODES, "zh"),
        contract_hours=40,
    ),
    TeamSpec(
        code="enterprise_support",
        name="Enterprise support",
        employment="in_house",
        size=8,
        skills=("enterprise", "pre_sales", "after_sales", "tech_support", "zh", "en"),
        contract_hours=40,
    ),
    TeamSpec(
        code="finance_service",
        name="Finance service",
        employment="in_house",
        size=12,
        skills=("finance", *TYPE_CODES, "zh"),
        contract_hours=40,
    ),
    TeamSpec(
        code="international_desk",
        name="International desk",
        employment="in_house",
        size=6,
        skills=(*LINE_CODES, *TYPE_CODES, "en"),
        contract_hours=40,
    ),
    TeamSpec(
        code="partner_contact_centre",
        name="Partner contact centre",
        employment="outsourced",
        size=14,
        skills=("retail", "finance", "pre_sales", "after_sales", "complaint", "zh"),
        contract_hours=36,
    ),
    TeamSpec(
        code="virtual_assistant",
        name="Virtual assistant",
        employment="chatbot",
        size=1,
        skills=(*LINE_CODES, "pre_sales", "tech_support", "zh", "en"),
        contract_hours=None,
    ),
)
TEAM_CODES = tuple(team.code for team in TEAMS)

FAMILY_NAMES = ("Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Zhao", "Huang", "Zhou")
GIVEN_NAMES = ("Wei", "Fang", "Na", "Min", "Jing", "Lei", "Yan", "Jun", "Ting", "Hao")
ENGLISH_GIVEN_NAMES = ("Emma", "Lucas", "Priya", "Daniel", "Sofia", "Omar", "Hannah")
ENGLISH_FAMILY_NAMES = ("Clarke", "Meyer", "Nair", "Ortiz", "Rossi", "Haddad")
