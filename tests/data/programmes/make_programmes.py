"""Write the three test programmes' participant files (seeded: the same files every run).

    python tests/data/programmes/make_programmes.py

Every person is invented: names are drawn from short lists of common first names and
family names, combined at random; no row describes anyone real. The programme.toml and
README.md files are written by hand; this script only writes mentees.csv and mentors.csv.
"""

# ruff: noqa: E501  (the participants' texts are kept whole, one a line)

from __future__ import annotations

import csv
import random
from collections.abc import Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _write(path: Path, rows: Sequence[dict[str, object]], *, delimiter: str, bom: bool) -> None:
    """One CSV file as the coordinator's spreadsheet exports it."""
    encoding = "utf-8-sig" if bom else "utf-8"
    with path.open("w", encoding=encoding, newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=list(rows[0]), delimiter=delimiter)
        writer.writeheader()
        writer.writerows(rows)


def _pick(rng: random.Random, values: Sequence[str], low: int, high: int) -> str:
    return "|".join(rng.sample(list(values), rng.randint(low, high)))


# --------------------------------------------------------------------------- lycée

_PRENOMS = [
    "Inès",
    "Léa",
    "Manon",
    "Chloé",
    "Camille",
    "Yasmine",
    "Lina",
    "Jade",
    "Zoé",
    "Sarah",
    "Emma",
    "Louise",
    "Awa",
    "Maëlys",
    "Nour",
    "Clara",
    "Anaïs",
    "Mélissa",
    "Océane",
    "Lou",
    "Aya",
    "Romane",
    "Salomé",
    "Juliette",
]
_PRENOMS_H = ["Thomas", "Karim", "Julien", "Mathieu"]
_NOMS = [
    "Martin",
    "Bernard",
    "Petit",
    "Durand",
    "Leroy",
    "Moreau",
    "Fontaine",
    "Garnier",
    "Chevalier",
    "Benali",
    "Diallo",
    "Nguyen",
    "Lambert",
    "Rousseau",
    "Mercier",
    "Faure",
]
_CLASSES = ["seconde", "première", "terminale"]
_VILLES = ["Lyon", "Villeurbanne", "Vénissieux", "Saint-Étienne", "Grenoble", "Bourg-en-Bresse"]
_LYCEES = [
    "lycée Ampère",
    "lycée du Parc",
    "lycée Jacques Brel",
    "lycée Honoré d'Urfé",
    "lycée Champollion",
    "lycée Lalande",
]
_INTERETS = [
    "robotique",
    "code",
    "astronomie",
    "biologie",
    "mathématiques",
    "jeux_vidéo",
    "design",
    "environnement",
    "santé",
    "chimie",
    "aéronautique",
    "entrepreneuriat",
]
_DOMAINES = [
    "informatique",
    "ingénierie",
    "recherche",
    "médecine",
    "data",
    "énergie",
    "architecture",
    "industrie",
]
_MOTIVATIONS = [
    "Je voudrais savoir comment on devient ingénieure et si les maths sont vraiment difficiles en prépa.",
    "J'aime programmer des petits jeux et je me demande quel métier faire avec le code.",
    "Je suis passionnée par les étoiles et je veux comprendre les études pour travailler dans le spatial.",
    "Je veux travailler dans la santé mais avec la technologie, par exemple les prothèses ou l'imagerie.",
    "J'hésite entre la biologie et l'informatique, j'aimerais parler avec quelqu'un qui a fait ces études.",
    "Le climat m'inquiète, je veux un métier scientifique utile pour l'environnement.",
    "Mes parents ne connaissent pas les écoles d'ingénieurs, j'ai besoin de conseils pour Parcoursup.",
]
_PARCOURS = [
    "Ingénieure en informatique, je développe des logiciels embarqués pour l'aéronautique.",
    "Chercheuse en biologie, j'utilise la data et le code pour étudier les cellules.",
    "Après une prépa et une école d'ingénieurs, je travaille dans les énergies renouvelables.",
    "Médecin radiologue, je travaille avec des ingénieurs sur l'imagerie et l'intelligence artificielle.",
    "Data scientist dans une entreprise de transport, j'ai fait un BUT puis une école.",
    "Architecte, je conçois des bâtiments économes en énergie.",
    "Technicienne puis ingénieure dans l'industrie chimique, par l'apprentissage.",
]


def lycee(rng: random.Random) -> None:
    """150 lycéennes, 60 marraines (and four men among the volunteers); ``;`` + BOM."""
    mentees = []
    for number in range(1, 151):
        ville = rng.choice(_VILLES)
        mentees.append(
            {
                "identifiant": f"L{number:03d}",
                "prénom": rng.choice(_PRENOMS),
                "nom": rng.choice(_NOMS),
                "classe": rng.choice(_CLASSES),
                "établissement": rng.choice(_LYCEES),
                "ville": ville,
                "centres_d_intérêt": _pick(rng, _INTERETS, 1, 3),
                "filières_envisagées": _pick(rng, _DOMAINES, 1, 2),
                "souhaite_une_marraine": "femme" if rng.random() < 0.6 else "",
                "motivation": rng.choice(_MOTIVATIONS),
                "remarques": "" if rng.random() < 0.85 else "a rendu l'autorisation parentale",
            }
        )
    mentors = []
    for number in range(1, 61):
        man = number in (7, 23, 41, 58)
        mentors.append(
            {
                "identifiant": f"M{number:02d}",
                "prénom": rng.choice(_PRENOMS_H if man else _PRENOMS),
                "nom": rng.choice(_NOMS),
                "genre": "homme" if man else "femme",
                "ville": rng.choice(_VILLES),
                "établissement": rng.choice(_LYCEES) if rng.random() < 0.15 else "",
                "domaine": _pick(rng, _DOMAINES, 1, 3),
                "centres_d_intérêt": _pick(rng, _INTERETS, 2, 4),
                "capacité": rng.choice([1, 2, 2, 3, 3, 4]),
                "parcours": rng.choice(_PARCOURS),
                "courriel": f"marraine{number:02d}@exemple.org",
            }
        )
    _write(HERE / "lycee" / "mentees.csv", mentees, delimiter=";", bom=True)
    _write(HERE / "lycee" / "mentors.csv", mentors, delimiter=";", bom=True)


# --------------------------------------------------------------------------- maroc

_ASMA = [
    "Fatima",
    "Khadija",
    "Aicha",
    "Meryem",
    "Hanane",
    "Naima",
    "Zineb",
    "Samira",
    "Houda",
    "Latifa",
    "Rachida",
    "Ilham",
    "Soukaina",
    "Itto",
    "Tuda",
    "Hafsa",
    "Nadia",
    "Siham",
]
_ALQAB = [
    "Amrani",
    "Idrissi",
    "Bennani",
    "Ouazzani",
    "Tazi",
    "Ait Lahcen",
    "El Fassi",
    "Berrada",
    "Chraibi",
    "Ouali",
    "Boutaleb",
    "Naciri",
    "Azzouzi",
    "El Ghazi",
]
_PROVINCES = {
    "souss_massa": ["Agadir-Ida-Outanane", "Taroudant", "Tiznit"],
    "draa_tafilalet": ["Ouarzazate", "Errachidia", "Zagora"],
    "marrakech_safi": ["Marrakech", "Essaouira", "Al Haouz"],
    "beni_mellal_khenifra": ["Azilal", "Khénifra"],
}
_STATUTS = ["auto-entrepreneuse", "coopérative", "porteuse de projet"]
_BESOINS = [
    "vente_en_ligne",
    "comptabilité",
    "emballage",
    "photos_produits",
    "export",
    "paiement_mobile",
    "gestion_coopérative",
    "facebook_instagram",
]
_FILIERES = [
    "argan",
    "safran",
    "tapis",
    "poterie",
    "couscous",
    "plantes_aromatiques",
    "miel",
    "dattes",
    "couture",
]
_LANGUES = ["darija", "arabe", "tachelhit", "français", "tamazight"]
_PROJETS = [
    "بغيت نبيع الزيت ديال أركان فالأنترنيت ونتعلم كيفاش نصور المنتوجات.",
    "نبغي نعرف كيفاش ندير الحسابات ديال التعاونية ونصاوب فاكتورة.",
    "Notre coopérative de safran veut exporter vers l'Europe et trouver un bon emballage.",
    "أريد تطوير مشروعي في الخياطة التقليدية وبيع المنتجات عبر إنستغرام.",
    "Je fabrique du couscous artisanal, je veux vendre en ligne et accepter le paiement mobile.",
    "التعاونية ديالنا كتنتج العسل، خصنا نتعلمو التسويق والتغليف.",
    "Je tisse des tapis et je veux une page Facebook professionnelle et des photos de qualité.",
]
_PRESENTATIONS = [
    "Experte en commerce électronique, j'accompagne les coopératives féminines dans la vente en ligne.",
    "خبيرة محاسبة، أساعد التعاونيات في تسيير الحسابات والتصريح الضريبي.",
    "Photographe et community manager, je forme aux réseaux sociaux et aux photos de produits.",
    "Consultante export, vingt ans dans l'agroalimentaire : argan, safran, dattes.",
    "مكونة في التسويق الرقمي والدفع عبر الهاتف، خدمت مع بزاف ديال التعاونيات فسوس.",
    "Designer packaging, je conçois des emballages pour les produits du terroir.",
]


def maroc(rng: random.Random) -> None:
    """120 women entrepreneurs, 36 mentors across four regions; ``,`` UTF-8."""
    regions = list(_PROVINCES)
    cooperatives = [f"تعاونية {name}" for name in ("النور", "الأمل", "تافوكت", "أسايس", "تيفاوين")]
    mentees = []
    for number in range(1, 121):
        region = rng.choices(regions, weights=[4, 3, 2, 1])[0]
        statut = rng.choices(_STATUTS, weights=[4, 3, 2])[0]
        mentees.append(
            {
                "code": f"ENT-{number:03d}",
                "الاسم": f"{rng.choice(_ASMA)} {rng.choice(_ALQAB)}",
                "statut": statut,
                "région": region,
                "province": rng.choice(_PROVINCES[region]),
                "langues": _pick(rng, _LANGUES[:3], 1, 2)
                + ("|français" if rng.random() < 0.4 else ""),
                "besoins": "|".join(
                    f"{tag}:{rng.randint(1, 2)}" for tag in rng.sample(_BESOINS, rng.randint(1, 3))
                ),
                "filière": rng.choice(_FILIERES),
                "coopérative": rng.choice(cooperatives) if statut == "coopérative" else "",
                "projet": rng.choice(_PROJETS),
                "téléphone": f"06{number:08d}",
            }
        )
    mentors = []
    for number in range(1, 37):
        region = rng.choice(regions)
        mentors.append(
            {
                "code": f"MEN-{number:02d}",
                "الاسم": f"{rng.choice(_ASMA)} {rng.choice(_ALQAB)}",
                "région": region,
                "province": rng.choice(_PROVINCES[region]),
                "langues": _pick(rng, _LANGUES, 2, 3),
                "compétences": "|".join(
                    f"{tag}:{rng.randint(3, 5)}" for tag in rng.sample(_BESOINS, rng.randint(2, 4))
                ),
                "filières": _pick(rng, _FILIERES, 1, 3),
                "coopérative": rng.choice(cooperatives) if rng.random() < 0.1 else "",
                "nombre_max": rng.choice([2, 3, 3, 4]),
                "au_moins": 1 if rng.random() < 0.3 else 0,
                "présentation": rng.choice(_PRESENTATIONS),
            }
        )
    _write(HERE / "maroc" / "mentees.csv", mentees, delimiter=",", bom=False)
    _write(HERE / "maroc" / "mentors.csv", mentors, delimiter=",", bom=False)


# --------------------------------------------------------------------------- dix pays

_COUNTRIES = {
    "Côte d'Ivoire": (["Abidjan", "Bouaké"], ["french", "dioula"]),
    "Senegal": (["Dakar", "Thiès"], ["french", "wolof"]),
    "Kenya": (["Nairobi", "Mombasa"], ["english", "swahili"]),
    "Ghana": (["Accra", "Kumasi"], ["english", "twi"]),
    "Egypt": (["Cairo", "Alexandria"], ["arabic", "english"]),
    "Jordan": (["Amman", "Irbid"], ["arabic", "english"]),
    "Colombia": (["Bogotá", "Medellín"], ["spanish"]),
    "Mexico": (["Guadalajara", "Puebla"], ["spanish"]),
    "Vietnam": (["Hanoi", "Da Nang"], ["vietnamese", "english"]),
    "India": (["Pune", "Jaipur"], ["hindi", "english"]),
}
_GIVEN = [
    "Adjoa",
    "Mariam",
    "Wanjiru",
    "Esi",
    "Nadia",
    "Rania",
    "Valentina",
    "Lucía",
    "Linh",
    "Priya",
    "Fatou",
    "Amina",
    "Camila",
    "Thu",
    "Ananya",
    "Akosua",
    "Salma",
    "Daniela",
    "Njeri",
    "Aissatou",
]
_FAMILY = [
    "Kouassi",
    "Ndiaye",
    "Otieno",
    "Mensah",
    "Haddad",
    "Saleh",
    "Restrepo",
    "Hernández",
    "Tran",
    "Sharma",
    "Diop",
    "Mwangi",
    "Ramírez",
    "Pham",
    "Iyer",
    "Boateng",
]
_SKILLS = [
    "social_media",
    "bookkeeping",
    "pricing",
    "website",
    "loans",
    "export",
    "team_management",
    "mobile_money",
]
_SECTORS = ["food", "fashion", "beauty", "agriculture", "retail", "tourism", "services"]
_HEARD = ["radio", "a friend", "facebook", "women's association", "trade fair"]


def dix_pays(rng: random.Random) -> None:
    """600 business owners and 150 mentors in ten countries, unevenly recruited: three
    countries have far fewer mentor seats than applicants."""
    countries = list(_COUNTRIES)
    mentee_weights = [14, 13, 12, 8, 8, 9, 8, 8, 10, 10]
    mentor_weights = [4, 4, 4, 8, 8, 9, 8, 8, 10, 10]
    mentees = []
    for number in range(1, 601):
        country = rng.choices(countries, weights=mentee_weights)[0]
        cities, languages = _COUNTRIES[country]
        mentees.append(
            {
                "applicant_no": f"A{number:04d}",
                "full_name": f"{rng.choice(_GIVEN)} {rng.choice(_FAMILY)}",
                "country": country,
                "city": rng.choice(cities),
                "languages_spoken": _pick(rng, languages, 1, len(languages)),
                "skills_wanted": _pick(rng, _SKILLS, 1, 3),
                "business_sector": rng.choice(_SECTORS),
                "years_in_business": rng.randint(0, 12),
                "mentors_wanted": 2 if rng.random() < 0.1 else 1,
                "employer_or_group": f"group-{rng.randint(1, 40)}" if rng.random() < 0.2 else "",
                "how_did_you_hear": rng.choice(_HEARD),
            }
        )
    mentors = []
    for number in range(1, 151):
        country = rng.choices(countries, weights=mentor_weights)[0]
        cities, languages = _COUNTRIES[country]
        mentors.append(
            {
                "volunteer_id": f"V{number:03d}",
                "full_name": f"{rng.choice(_GIVEN)} {rng.choice(_FAMILY)}",
                "country": country,
                "city": rng.choice(cities),
                "languages_spoken": _pick(rng, languages, 1, len(languages)),
                "skills_offered": _pick(rng, _SKILLS, 2, 4),
                "sectors_known": _pick(rng, _SECTORS, 1, 3),
                "years_experience": rng.randint(3, 30),
                "max_mentees": rng.choice([2, 3, 4, 4, 5]),
                "employer_or_group": f"group-{rng.randint(1, 40)}" if rng.random() < 0.2 else "",
            }
        )
    _write(HERE / "dix-pays" / "mentees.csv", mentees, delimiter=",", bom=False)
    _write(HERE / "dix-pays" / "mentors.csv", mentors, delimiter=",", bom=False)


if __name__ == "__main__":
    lycee(random.Random(2026))
    maroc(random.Random(212))
    dix_pays(random.Random(10))
