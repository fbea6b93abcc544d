"""Vocabulary of the synthetic programmes: countries, regions, languages, curriculum, phrases.

Plain data, kept apart from the generator so the generator reads as an algorithm. Values
use the tags of the default programme (``matching/data/digital_business.toml``).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "BIO_TEMPLATES",
    "COOPERATIVE_WORDS",
    "COUNTRIES",
    "GOAL_TEMPLATES",
    "MENTEE_NEED_POPULARITY",
    "MENTOR_EXPERTISE_POPULARITY",
    "NEEDS",
    "NEED_PHRASES",
    "ROLES",
    "SECTORS",
    "SECTOR_PHRASES",
    "SKILL_PHRASES",
    "SLOTS",
    "Country",
    "Region",
]


@dataclass(frozen=True)
class Region:
    """A region, named by the tag the programme's ``region`` criterion uses, and a city."""

    name: str
    lat: float
    lon: float
    weight: float


@dataclass(frozen=True)
class Country:
    """A country of the programme: where people live, which languages they speak."""

    name: str
    utc_offset: float
    mentee_share: float
    mentor_share: float
    languages: tuple[tuple[str, float], ...]
    """(language, probability a resident speaks it); the first is always spoken."""
    regions: tuple[Region, ...]
    organisations: tuple[str, ...]
    women_names: tuple[str, ...]
    men_names: tuple[str, ...]


COUNTRIES: tuple[Country, ...] = (
    Country(
        "Morocco", 1.0, 0.24, 0.16,
        (("arabic", 0.85), ("darija", 0.9), ("french", 0.75), ("english", 0.25),
         ("tamazight", 0.15)),
        (
            Region("casablanca_settat", 33.57, -7.59, 0.32),
            Region("rabat_sale_kenitra", 34.02, -6.84, 0.2),
            Region("marrakech_safi", 31.63, -8.01, 0.15),
            Region("fes_meknes", 34.03, -5.00, 0.13),
            Region("souss_massa", 30.42, -9.60, 0.1),
            Region("tanger_tetouan", 35.76, -5.83, 0.1),
        ),
        ("Réseau Entreprendre Maroc", "Startup Maroc", "Injaz Al-Maghrib", "Bank of Africa"),
        ("Fatima Zahra", "Khadija", "Salma", "Imane", "Meryem", "Houda", "Nadia", "Asmae"),
        ("Youssef", "Karim", "Omar", "Mehdi"),
    ),
    Country(
        "Senegal", 0.0, 0.14, 0.1,
        (("french", 0.95), ("wolof", 0.9), ("english", 0.2), ("pulaar", 0.2)),
        (
            Region("dakar", 14.72, -17.47, 0.5),
            Region("thies", 14.79, -16.93, 0.2),
            Region("saint_louis", 16.03, -16.49, 0.15),
            Region("ziguinchor", 12.56, -16.27, 0.15),
        ),
        ("CTIC Dakar", "Jokkolabs", "Sonatel Academy", "DER/FJ"),
        ("Aminata", "Fatou", "Awa", "Mariama", "Ndeye", "Coumba", "Khady", "Astou"),
        ("Moussa", "Abdoulaye", "Cheikh", "Ibrahima"),
    ),
    Country(
        "Côte d'Ivoire", 0.0, 0.1, 0.07,
        (("french", 1.0), ("english", 0.2), ("dioula", 0.3)),
        (
            Region("abidjan", 5.36, -4.01, 0.65),
            Region("bouake", 7.69, -5.03, 0.2),
            Region("yamoussoukro", 6.83, -5.29, 0.15),
        ),
        ("Orange Fab CI", "Incub'Ivoire", "Seedspace Abidjan"),
        ("Adjoua", "Aya", "Affoué", "Mariam", "Akissi", "Nadège"),
        ("Kouadio", "Yao", "Serge"),
    ),
    Country(
        "Rwanda", 2.0, 0.1, 0.08,
        (("kinyarwanda", 1.0), ("english", 0.7), ("french", 0.35), ("swahili", 0.3)),
        (
            Region("kigali", -1.95, 30.06, 0.6),
            Region("northern_province", -1.50, 29.63, 0.2),
            Region("southern_province", -2.60, 29.74, 0.2),
        ),
        ("kLab", "Norrsken Kigali", "Westerwelle Startup Haus", "BDF Rwanda"),
        ("Aline", "Diane", "Clarisse", "Grace", "Josiane", "Uwase", "Ingabire"),
        ("Eric", "Jean-Paul", "Patrick"),
    ),
    Country(
        "Tunisia", 1.0, 0.08, 0.07,
        (("arabic", 1.0), ("french", 0.85), ("english", 0.35)),
        (
            Region("tunis", 36.81, 10.18, 0.55),
            Region("sfax", 34.74, 10.76, 0.25),
            Region("sousse", 35.83, 10.64, 0.2),
        ),
        ("Flat6Labs Tunis", "Lab'ESS", "The Dot"),
        ("Amira", "Sarra", "Ines", "Rim", "Olfa", "Yasmine"),
        ("Mohamed", "Sami", "Hichem"),
    ),
    Country(
        "France", 1.0, 0.09, 0.28,
        (("french", 1.0), ("english", 0.6), ("arabic", 0.1), ("spanish", 0.12)),
        (
            Region("ile_de_france", 48.86, 2.35, 0.45),
            Region("auvergne_rhone_alpes", 45.76, 4.84, 0.2),
            Region("provence_alpes_cote_azur", 43.30, 5.37, 0.18),
            Region("occitanie", 43.60, 1.44, 0.17),
        ),
        ("Station F", "Réseau Entreprendre", "BNP Paribas", "France Active", "Les Premières"),
        ("Claire", "Sophie", "Camille", "Nathalie", "Léa", "Isabelle", "Samia", "Aïcha"),
        ("Thomas", "Nicolas", "Julien", "Karim"),
    ),
    Country(
        "Spain", 1.0, 0.05, 0.1,
        (("spanish", 1.0), ("english", 0.5), ("catalan", 0.2), ("french", 0.15)),
        (
            Region("madrid", 40.42, -3.70, 0.45),
            Region("catalonia", 41.39, 2.17, 0.35),
            Region("andalusia", 37.39, -5.98, 0.2),
        ),
        ("Lanzadera", "Impact Hub Madrid", "Fundación Ship2B"),
        ("Lucía", "María", "Carmen", "Laura", "Marta", "Nuria"),
        ("Javier", "Pablo", "Sergio"),
    ),
    Country(
        "Cameroon", 1.0, 0.08, 0.05,
        (("french", 0.9), ("english", 0.5)),
        (Region("centre", 3.85, 11.50, 0.5), Region("littoral", 4.05, 9.70, 0.5)),
        ("ActivSpaces", "Impact Hub Yaoundé"),
        ("Brenda", "Estelle", "Mireille", "Carine", "Ngo", "Larissa"),
        ("Hervé", "Olivier", "Arnaud"),
    ),
    Country(
        "Benin", 1.0, 0.06, 0.04,
        (("french", 1.0), ("fon", 0.6), ("english", 0.15), ("yoruba", 0.2)),
        (
            Region("atlantique", 6.37, 2.39, 0.55),
            Region("oueme", 6.50, 2.60, 0.3),
            Region("borgou", 9.34, 2.63, 0.15),
        ),
        ("Sèmè City", "Etrilabs"),
        ("Afiavi", "Chimène", "Rosine", "Fifamè", "Sènami"),
        ("Rodrigue", "Koffi"),
    ),
    Country(
        "Peru", -5.0, 0.06, 0.05,
        (("spanish", 1.0), ("quechua", 0.2), ("english", 0.3)),
        (
            Region("lima", -12.05, -77.04, 0.6),
            Region("arequipa", -16.41, -71.54, 0.2),
            Region("cusco", -13.53, -71.97, 0.2),
        ),
        ("StartUPC", "Wayra Perú", "Kunan"),
        ("Rosa", "Milagros", "Lucero", "Yessenia", "Carmen", "Flor"),
        ("Luis", "Jorge", "César"),
    ),
)  # fmt: skip

NEEDS = (
    "social_media",
    "website",
    "e_commerce",
    "marketing",
    "online_payments",
    "bookkeeping",
    "seo",
    "data_analytics",
    "export",
    "cooperative_management",
)

# Skewed on purpose: social media and websites are what most mentees ask for first, so the
# mentors who teach them are contended for.
MENTEE_NEED_POPULARITY = (0.55, 0.45, 0.3, 0.25, 0.15, 0.18, 0.12, 0.07, 0.06, 0.03)
MENTOR_EXPERTISE_POPULARITY = (0.3, 0.3, 0.25, 0.4, 0.15, 0.25, 0.2, 0.22, 0.15, 0.1)

SECTORS = (
    "agrifood",
    "crafts",
    "textile_fashion",
    "cosmetics",
    "tourism",
    "retail",
    "education",
    "health",
    "services",
    "tech",
)

SLOTS = (
    "mon 18-20",
    "tue 9-12",
    "tue 18-20",
    "wed 12-14",
    "wed 18-21",
    "thu 14-16",
    "thu 18-20",
    "fri 9-11",
    "sat 9-12",
    "sat 14-17",
    "sun 10-12",
)

COOPERATIVE_WORDS = (
    "Al Amal",
    "Nour",
    "Tighanimine",
    "Tifaout",
    "Jappo",
    "Dimbali",
    "Teranga",
    "Abakundakawa",
    "Twiyubake",
    "Sumaq Warmi",
    "Las Tejedoras",
    "Femmes Solidaires",
    "Karité d'Or",
    "Awa Bio",
    "Ubumwe",
    "Assafa",
)

# (French, English) phrase per need, in NEEDS order.
NEED_PHRASES: tuple[tuple[str, str], ...] = (
    ("animer mes réseaux sociaux (Instagram, Facebook, TikTok)",
     "grow my social media (Instagram, Facebook, TikTok)"),
    ("créer le site web de mon entreprise", "build a website for my business"),
    ("vendre mes produits en ligne", "sell my products online"),
    ("trouver de nouveaux clients grâce au marketing digital",
     "find new customers with digital marketing"),
    ("accepter les paiements mobiles et en ligne", "accept mobile money and online payments"),
    ("tenir ma comptabilité et suivre ma trésorerie", "keep my books and follow my cash flow"),
    ("être mieux référencée sur Google", "rank better on Google search"),
    ("analyser mes ventes avec des tableaux de bord", "analyse my sales with dashboards"),
    ("exporter vers l'Europe", "export to new markets abroad"),
    ("mieux gérer notre coopérative", "run our cooperative better"),
)  # fmt: skip

# What a mentor helps with, (French, English), in NEEDS order.
SKILL_PHRASES: tuple[tuple[str, str], ...] = (
    ("développer leur présence sur les réseaux sociaux", "grow their social media"),
    ("créer leur site web", "build their website"),
    ("lancer leur boutique en ligne", "open an online shop"),
    ("construire leur stratégie marketing", "build a marketing strategy"),
    ("mettre en place le paiement mobile", "set up mobile and online payments"),
    ("tenir leur comptabilité", "keep their books"),
    ("améliorer leur référencement", "improve their search ranking"),
    ("piloter leur activité avec les données", "run their business with data"),
    ("préparer leurs premières exportations", "prepare their first exports"),
    ("gérer une coopérative", "manage a cooperative"),
)

SECTOR_PHRASES: tuple[tuple[str, str], ...] = (
    ("l'agroalimentaire", "food processing"),
    ("l'artisanat", "crafts"),
    ("la couture et la mode", "fashion and textiles"),
    ("les cosmétiques naturels", "natural cosmetics"),
    ("le tourisme", "tourism"),
    ("le commerce", "retail"),
    ("l'éducation", "education"),
    ("la santé", "health"),
    ("les services", "services"),
    ("le numérique", "tech"),
)

# Goals: {need1}, {need2}, {sector}. One list per language (French, English).
GOAL_TEMPLATES: tuple[tuple[str, ...], tuple[str, ...]] = (
    (
        "Je veux {need1} et {need2} pour mon activité dans {sector}.",
        "Mon objectif cette année : {need1}, puis {need2}. Je travaille dans {sector}.",
        "J'aimerais apprendre à {need1} ; ensuite {need2}. Secteur : {sector}.",
    ),
    (
        "I want to {need1} and {need2} for my {sector} business.",
        "My goal this year: {need1}, then {need2}. I work in {sector}.",
        "I would like to learn to {need1}, and later {need2}, in {sector}.",
    ),
)

# Bios: {role}, {years}, {sector}, {skill1}, {skill2}.
BIO_TEMPLATES: tuple[tuple[str, ...], tuple[str, ...]] = (
    (
        "{role} depuis {years} ans dans {sector}. J'aide les entrepreneuses à {skill1} "
        "et à {skill2}.",
        "{role}, {years} ans d'expérience. J'accompagne les femmes qui veulent {skill1} "
        "ou {skill2}, notamment dans {sector}.",
    ),
    (
        "{role} with {years} years in {sector}. I help women entrepreneurs {skill1} and {skill2}.",
        "{role}, {years} years of experience. I coach founders who want to {skill1} "
        "or {skill2}, especially in {sector}.",
    ),
)

ROLES: tuple[tuple[str, ...], tuple[str, ...]] = (
    ("Consultante en marketing digital", "Développeuse web", "Experte-comptable",
     "Cheffe de projet e-commerce", "Fondatrice d'une agence digitale", "Formatrice"),
    ("Digital marketing consultant", "Web developer", "Chartered accountant",
     "E-commerce manager", "Founder of a digital agency", "Trainer"),
)  # fmt: skip
