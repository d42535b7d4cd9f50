#!/usr/bin/env python3
"""Generates the bundled sample stream `paris-2015-11-13.jsonl` and its `labels.tsv`.

Deterministic (fixed seed, no set iteration, Python 3 standard library only):
    python3 config/samples/generate.py            # writes both files next to this script
    python3 config/samples/check.py               # validates them

The posts are written for this project: templates and slot values below, filled in by a seeded random
generator. Every person, handle, phone number and email is fictional (phone numbers come from ranges reserved
for fiction: French 06 39 98 xx xx and 01 99 00 xx xx, UK +44 7700 900xxx; emails use example.org). Places and
the timeline of the night are real. The only real posts are the three offers quoted in the Le Monde article of
14 November 2015 (see SEED_OFFERS), included verbatim.

This stream is for demos and tests. It is NOT training or evaluation data for the classifier.
"""

import json
import os
import random
import re
import unicodedata
from datetime import datetime, timedelta, timezone

SEED = 20151113
HERE = os.path.dirname(os.path.abspath(__file__))
OUT_JSONL = os.path.join(HERE, "paris-2015-11-13.jsonl")
OUT_LABELS = os.path.join(HERE, "labels.tsv")

UTC = timezone.utc
# The window of the stream, in UTC (Paris was UTC+1): 20:45 to 08:00 local time.
T0 = datetime(2015, 11, 13, 19, 45, tzinfo=UTC)
T_END = datetime(2015, 11, 14, 7, 0, tzinfo=UTC)


def at(hhmm):
    """A UTC time of the night from "HH:MM" (hours below 12 are on the 14th)."""
    h, m = map(int, hhmm.split(":"))
    day = 13 if h >= 12 else 14
    return datetime(2015, 11, day, h, m, tzinfo=UTC)


# How many original posts of each class (reposts, relays, follow-ups and retweets come on top).
ORIGINALS = {"offer": 330, "request": 118, "missing": 118, "support": 960, "info": 370, "noise": 985}
RETWEETS = {"offer": 85, "request": 35, "missing": 55, "support": 190, "info": 240, "noise": 55}
LANG_MIX = {  # fr, en, de, es, it
    "offer": (0.80, 0.12, 0.05, 0.015, 0.015),
    "request": (0.72, 0.16, 0.07, 0.03, 0.02),
    "missing": (0.72, 0.14, 0.05, 0.05, 0.04),
    "support": (0.35, 0.40, 0.09, 0.09, 0.07),
    "info": (0.65, 0.22, 0.06, 0.04, 0.03),
    "noise": (0.45, 0.32, 0.08, 0.08, 0.07),
}
LANGS = ("fr", "en", "de", "es", "it")
MIN_PER_LANG = 5  # at least this many originals of each class in each language
# Activity of each class over the night: (from, to, weight), UTC.
ACTIVITY = {
    "offer": [("20:55", "21:15", 1), ("21:15", "01:30", 5), ("01:30", "04:00", 1.2), ("04:00", "07:00", 0.2)],
    "request": [("20:45", "21:15", 1), ("21:15", "01:30", 4), ("01:30", "04:00", 1), ("04:00", "07:00", 0.3)],
    "missing": [("21:15", "23:00", 1.5), ("23:00", "03:00", 4), ("03:00", "07:00", 3)],
    "support": [("20:35", "21:30", 1), ("21:30", "01:00", 3.5), ("01:00", "05:00", 2), ("05:00", "07:00", 3)],
    "noise": [("19:45", "20:16", 2), ("20:16", "01:00", 2.5), ("01:00", "05:00", 0.8), ("05:00", "07:00", 1.2)],
}

# ---------------------------------------------------------------------------------------------------------
# Slot values
# ---------------------------------------------------------------------------------------------------------

# Prepositional place phrases ("j'habite {lieu}") and bare zone labels ("#PorteOuverte {zone} : ...").
LIEU = {
    "fr": ["dans le 11e", "dans le XIe", "dans le 20e", "dans le XXe", "dans le 10e", "dans le Xe", "dans le 19e",
           "dans le 18e", "dans le 12e", "dans le 3e", "dans le 15e", "dans le 14e", "dans le 13e", "dans le 9e",
           "dans le 17e", "dans le 11ème", "à Oberkampf", "à Belleville", "à Ménilmontant", "à Bastille",
           "vers République", "près de Nation", "vers Gambetta", "près du métro Parmentier", "métro Jourdain (19e)",
           "près du métro Goncourt", "près du Père-Lachaise", "vers Gare de l'Est", "vers Gare du Nord",
           "près du canal Saint-Martin", "à Pigalle", "à Montmartre", "vers Château-Rouge", "à la Butte-aux-Cailles",
           "près de Denfert", "vers Montparnasse", "rue de la Roquette", "rue Saint-Maur", "rue Oberkampf",
           "rue des Pyrénées", "rue du Faubourg-du-Temple", "avenue Parmentier", "boulevard de Belleville",
           "rue de Ménilmontant", "place des Fêtes", "à Montreuil", "à Saint-Denis", "à Bagnolet", "aux Lilas",
           "à Vincennes", "à Pantin", "à Ivry", "près de Jaurès", "vers Stalingrad", "à Charonne",
           "près de Ledru-Rollin", "vers Bercy", "à Saint-Germain-des-Prés", "dans le Marais", "près de Châtelet",
           "rue de Rivoli", "à la Goutte d'Or", "vers Alésia", "près de Place d'Italie", "rue de Lancry (75010)",
           "rue des Vinaigriers, 75010", "rue de Bagnolet (75020)", "rue Saint-Ambroise, 75011",
           "près de Colonel Fabien", "vers Couronnes", "à Daumesnil", "rue du Chemin-Vert"],
    "en": ["in the 11th", "in the 20th", "in the 10th", "in the 19th", "in the 18th", "in the 12th", "in the 3rd",
           "in the 15th", "near République", "in Belleville", "near Oberkampf", "near Nation", "by Gare du Nord",
           "in Montmartre", "near Canal Saint-Martin", "in the Marais", "near Bastille", "in Pigalle",
           "near Gambetta", "on rue Saint-Maur (11th)", "near Jourdain metro (19th)", "in Montreuil",
           "near Place d'Italie", "near Gare de l'Est", "in the Latin Quarter", "near Père Lachaise",
           "in 75011", "in the XIth", "near Parmentier metro", "in Ménilmontant"],
    "de": ["im 11. Arrondissement", "im 20. Arrondissement", "im 10. Arrondissement", "nahe République",
           "in Belleville", "bei der Metro Jourdain", "nahe Gare du Nord", "nahe Bastille", "in Saint-Denis",
           "nahe Nation", "in Montmartre", "am Canal Saint-Martin", "im Marais", "nahe Gare de l'Est"],
    "es": ["en el distrito 11", "cerca de République", "en Belleville", "cerca de Bastille", "cerca de Nation",
           "en Montmartre", "cerca de la Gare du Nord", "en el distrito 20", "en el Marais", "en Saint-Denis",
           "cerca del canal Saint-Martin"],
    "it": ["nell'11°", "vicino a République", "a Belleville", "vicino a Bastille", "vicino a Nation",
           "a Montmartre", "vicino alla Gare du Nord", "nel 20°", "nel Marais", "a Saint-Denis",
           "vicino al canal Saint-Martin"],
}
ZONE = {
    "fr": ["11e", "XIe", "75011", "20e", "XXe", "75020", "10e", "75010", "19e", "XIXe", "18e", "12e", "3e",
           "Oberkampf", "Belleville", "Ménilmontant", "République", "Bastille", "Nation", "Gambetta",
           "Métro Parmentier", "Métro Goncourt", "Métro Jourdain", "Canal Saint-Martin", "Pigalle", "Montmartre",
           "Château-Rouge", "Butte-aux-Cailles (13e)", "Denfert", "Rue Saint-Maur (11e)", "Rue de la Roquette",
           "Avenue Parmentier", "Place des Fêtes", "Montreuil", "Saint-Denis", "Bagnolet", "Vincennes",
           "Pantin", "Jaurès", "Stalingrad", "Charonne", "Ledru-Rollin", "Père-Lachaise", "Gare de l'Est",
           "Colonel Fabien", "Couronnes", "Rue de Lancry 75010"],
    "en": ["11th arr.", "75011", "20th", "Belleville", "République", "Oberkampf", "10th", "Marais", "Pigalle",
           "Bastille", "Nation", "Montmartre", "Canal St-Martin", "XIth"],
}
CAP = {  # nominal phrases of capacity
    "fr": ["2 places", "un canapé", "de la place pour 3", "un clic-clac", "un matelas gonflable", "2 lits",
           "une chambre d'amis", "place pour une personne", "4 couchages", "un canapé-lit pour 2",
           "de la place pour 2 personnes", "un canapé et un matelas", "3 places", "un lit double"],
    "en": ["room for 2", "a couch", "a spare bed", "space for 3 people", "an air mattress", "a sofa bed for 2",
           "floor space for 4", "a spare room", "room for one"],
    "de": ["Platz für zwei", "ein Sofa", "Platz für 3 Personen", "ein freies Bett", "eine Luftmatratze",
           "ein Schlafsofa", "Platz für eine Person"],
    "es": ["sitio para 2", "un sofá", "una cama libre", "sitio para 3 personas", "un colchón", "un sofá cama"],
    "it": ["posto per 2", "un divano", "un letto libero", "posto per 3 persone", "un materasso", "un divano letto"],
}
CAP_N = {  # people as an object
    "fr": ["2 personnes", "une personne", "3 personnes", "4 personnes", "deux personnes", "une famille",
           "un couple", "deux ou trois personnes"],
    "en": ["2 people", "one person", "3 people", "a couple", "a small family", "two or three people"],
}
COMFORT = {
    "fr": ["thé chaud", "chargeurs dispo", "de quoi manger", "douche possible", "wifi et chargeur", "couvertures",
           "café chaud", "au calme et au chaud", "soupe chaude", "chargeur iPhone et Android"],
    "en": ["hot tea", "chargers", "food", "a shower", "wifi and chargers", "blankets", "coffee"],
    "de": ["Tee und Ladekabel", "warmes Essen", "eine Dusche", "WLAN", "Decken"],
    "es": ["té caliente", "cargador", "algo de comer", "mantas"],
    "it": ["tè caldo", "caricabatterie", "qualcosa da mangiare", "coperte"],
}
DEST = {
    "fr": ["le sud de Paris", "Montreuil", "la banlieue est", "Saint-Denis", "Vincennes", "la rive gauche",
           "Boulogne", "Ivry", "Créteil", "le 15e", "Neuilly", "Nanterre"],
    "en": ["the south of Paris", "Montreuil", "the left bank", "Saint-Denis", "the 15th", "Boulogne"],
    "de": ["Gare de l'Est", "Saint-Denis", "Flughafen CDG", "Montparnasse", "Gare du Nord"],
    "es": ["Saint-Denis", "el sur de París", "Montparnasse", "la Gare de Lyon"],
    "it": ["Saint-Denis", "il sud di Parigi", "Montparnasse", "la Gare de Lyon"],
}
TAG = {  # shelter hashtag as people wrote it, with weights
    "fr": [("#PorteOuverte", 70), ("#porteouverte", 10), ("#PortesOuvertes", 10), ("#PorteOuverte #Paris", 5),
           ("#PorteOuverte #FusilladeParis", 5)],
    "en": [("#PorteOuverte", 50), ("#OpenDoor", 25), ("#PorteOuverte #OpenDoor", 15), ("#porteouverte", 10)],
}
SUPPORT_TAGS = {
    "fr": [("#PrayForParis", 30), ("#JeSuisParis", 15), ("#Paris", 10), ("#NotAfraid", 5), ("", 40)],
    "en": [("#PrayForParis", 45), ("#ParisAttacks", 10), ("#PrayersForParis", 5), ("#NotAfraid", 5),
           ("#JeSuisParis", 5), ("", 30)],
    "de": [("#PrayForParis", 50), ("#JeSuisParis", 10), ("", 40)],
    "es": [("#PrayForParis", 50), ("#TodosSomosParis", 15), ("", 35)],
    "it": [("#PrayForParis", 50), ("#SiamoTuttiParigini", 10), ("", 40)],
}
EMO = ["❤️", "🙏", "🇫🇷", "💔", "🙏🇫🇷", "❤️🇫🇷", "🕯️", "", "", ""]
FROM = {
    "fr": ["Depuis Lyon", "Depuis Bruxelles", "Depuis Montréal", "Depuis Genève", "Depuis Marseille", "De Dakar",
           "Depuis Toulouse", "Depuis Abidjan", "De Québec", "Depuis Lille"],
    "en": ["From London", "From New York", "From Sydney", "From Toronto", "From Dublin", "From Cape Town",
           "From Chicago", "From Manila", "From Edinburgh", "From Boston"],
    "de": ["Aus Berlin", "Aus Wien", "Aus München", "Aus Zürich", "Aus Hamburg"],
    "es": ["Desde Madrid", "Desde Buenos Aires", "Desde México", "Desde Barcelona", "Desde Bogotá"],
    "it": ["Da Roma", "Da Milano", "Da Napoli", "Da Torino", "Da Firenze"],
}
METIER = ["Infirmière", "Médecin urgentiste", "Interne en médecine", "Secouriste (PSC1)", "Aide-soignant",
          "Pompier volontaire en repos", "Infirmier", "Étudiante en médecine"]
VENUE_FR = ["bar", "café", "restaurant", "hôtel", "cinéma", "théâtre"]
VENUE_EN = ["bar", "café", "restaurant", "hotel", "hostel"]
WHY_FR = ["plus de métro", "on est dehors depuis 2h", "les hôtels sont complets", "on ne peut pas rentrer",
          "nos téléphones sont presque à plat", "il fait froid", "la police bloque la rue", "plus de taxis"]
WHY_EN = ["no metro", "we've been outside for 2 hours", "hotels are full", "we can't get back",
          "our phones are almost dead", "the police have closed our street"]
WHO_FR = ["une amie", "deux touristes américains", "mon petit frère", "des supporters allemands",
          "une étudiante étrangère", "ma mère et ma tante", "un collègue", "deux copines", "un couple de Japonais"]
WHO_EN = ["my sister", "two friends", "a couple of tourists", "my girlfriend", "three students"]
HOME_FR = ["Montreuil", "Saint-Denis", "Vincennes", "Boulogne", "Créteil", "Clichy", "Ivry", "la Défense",
           "Versailles", "Noisy-le-Grand"]
LIGNE = ["la ligne 9", "la ligne 3", "la 11", "la ligne 5", "le RER B", "le RER A", "la ligne 2", "la 8"]

SITES = [  # (key, local time of the attack, UTC start of the attack)
    ("stade", "21h", "20:16"), ("carillon", "21h20", "20:25"), ("cambodge", "21h20", "20:25"),
    ("bichat", "21h25", "20:25"), ("casa", "21h30", "20:32"), ("fontaine", "21h30", "20:32"),
    ("belle", "21h35", "20:36"), ("charonne", "21h35", "20:36"), ("voltaire_c", "21h40", "20:40"),
    ("voltaire_b", "21h40", "20:40"), ("bataclan", "21h40", "20:40"), ("bataclan_f", "21h40", "20:40"),
]
SITE_WEIGHTS = [12, 8, 10, 4, 4, 3, 10, 6, 4, 4, 30, 10]
SITE_TEXT = {
    "fr": {"stade": "au Stade de France", "carillon": "au Carillon", "cambodge": "au Petit Cambodge",
           "bichat": "rue Bichat", "casa": "à la Casa Nostra", "fontaine": "rue de la Fontaine-au-Roi",
           "belle": "à La Belle Équipe", "charonne": "rue de Charonne", "voltaire_c": "au Comptoir Voltaire",
           "voltaire_b": "boulevard Voltaire", "bataclan": "au Bataclan", "bataclan_f": "dans la fosse du Bataclan"},
    "en": {"stade": "at the Stade de France", "carillon": "at Le Carillon", "cambodge": "at Le Petit Cambodge",
           "bichat": "on rue Bichat", "casa": "at Casa Nostra", "fontaine": "on rue de la Fontaine-au-Roi",
           "belle": "at La Belle Équipe", "charonne": "on rue de Charonne", "voltaire_c": "at the Comptoir Voltaire",
           "voltaire_b": "on boulevard Voltaire", "bataclan": "at the Bataclan", "bataclan_f": "at the Bataclan gig"},
    "de": {"stade": "im Stade de France", "carillon": "im Carillon", "cambodge": "im Petit Cambodge",
           "bichat": "in der Rue Bichat", "casa": "in der Casa Nostra", "fontaine": "in der Rue de la Fontaine-au-Roi",
           "belle": "in La Belle Équipe", "charonne": "in der Rue de Charonne", "voltaire_c": "im Comptoir Voltaire",
           "voltaire_b": "am Boulevard Voltaire", "bataclan": "im Bataclan", "bataclan_f": "beim Konzert im Bataclan"},
    "es": {"stade": "en el Stade de France", "carillon": "en Le Carillon", "cambodge": "en Le Petit Cambodge",
           "bichat": "en la rue Bichat", "casa": "en la Casa Nostra", "fontaine": "en la rue de la Fontaine-au-Roi",
           "belle": "en La Belle Équipe", "charonne": "en la rue de Charonne", "voltaire_c": "en el Comptoir Voltaire",
           "voltaire_b": "en el bulevar Voltaire", "bataclan": "en el Bataclan", "bataclan_f": "en el concierto del Bataclan"},
    "it": {"stade": "allo Stade de France", "carillon": "al Carillon", "cambodge": "al Petit Cambodge",
           "bichat": "in rue Bichat", "casa": "alla Casa Nostra", "fontaine": "in rue de la Fontaine-au-Roi",
           "belle": "alla Belle Équipe", "charonne": "in rue de Charonne", "voltaire_c": "al Comptoir Voltaire",
           "voltaire_b": "sul boulevard Voltaire", "bataclan": "al Bataclan", "bataclan_f": "al concerto del Bataclan"},
}
HOPITAL = ["la Pitié-Salpêtrière", "l'hôpital Saint-Louis", "l'hôpital Saint-Antoine", "l'HEGP", "Lariboisière",
           "l'hôpital Bichat", "l'hôpital Tenon", "l'hôpital Bégin"]
DESC_FR = ["cheveux bruns, veste en cuir", "manteau rouge", "lunettes, barbe, sweat gris", "1m80, parka kaki",
           "cheveux bouclés, écharpe bleue", "tatouage sur l'avant-bras gauche", "cheveux courts, blouson noir",
           "t-shirt de groupe, jean noir", "cheveux longs, chemise à carreaux", "bonnet gris, sac à dos"]
DESC_EN = ["dark hair, leather jacket", "red coat", "glasses, beard, grey hoodie", "6ft, khaki parka",
           "curly hair, blue scarf", "tattoo on left forearm", "short hair, black jacket"]

FIRST = {
    "fr": {"m": ["Julien", "Thomas", "Hugo", "Karim", "Maxime", "Antoine", "Nicolas", "Mehdi", "Romain", "Lucas",
                 "Baptiste", "Yanis", "Sébastien", "Florian", "Quentin", "Adrien", "Samir", "Vincent", "Loïc"],
           "f": ["Camille", "Inès", "Laura", "Manon", "Chloé", "Sarah", "Léa", "Pauline", "Élodie", "Nadia", "Claire",
                 "Amandine", "Julie", "Émilie", "Yasmine", "Margaux", "Océane", "Sophie", "Anaïs"]},
    "en": {"m": ["James", "Daniel", "Ryan", "Tom", "Matthew", "Ben", "Chris", "Sam", "Liam", "Owen"],
           "f": ["Emily", "Sophie", "Hannah", "Olivia", "Kate", "Megan", "Lucy", "Grace", "Amy", "Zoe"]},
    "de": {"m": ["Lukas", "Jonas", "Felix", "Tim", "Jan", "Moritz", "Niklas"],
           "f": ["Anna", "Lena", "Mia", "Laura", "Johanna", "Katrin", "Svenja"]},
    "es": {"m": ["Javier", "Pablo", "Álex", "Diego", "Sergio", "Iván"], "f": ["Lucía", "Marta", "Carmen", "Irene", "Paula", "Nerea"]},
    "it": {"m": ["Matteo", "Andrea", "Luca", "Davide", "Marco", "Simone"], "f": ["Giulia", "Chiara", "Elena", "Francesca", "Sara", "Marta"]},
}
LAST = {
    "fr": ["Marchetti", "Delorme", "Ferreira", "Audibert", "Benali", "Lambert", "Girard", "Morin", "Roussel",
           "Garnier", "Perrin", "Lefebvre", "Chevalier", "Haddad", "Da Silva", "Moreau", "Faure", "Renaud",
           "Leclerc", "Bonnet", "Mercier", "Dupuis", "Barbier", "Rolland", "Caron", "Tessier", "Vasseur", "Brunet",
           "Meunier", "Ouali", "Pichon", "Lemaire", "Collin", "Arnaud", "Hamidi", "Besnard", "Poulain"],
    "en": ["Carter", "Hughes", "Walsh", "Bennett", "Foster", "Reid", "Palmer", "Doyle", "Harper", "Lloyd", "Quinn"],
    "de": ["Brandt", "Vogel", "Keller", "Hartmann", "Krüger", "Lorenz", "Seidel", "Winkler"],
    "es": ["Ruiz", "Fernández", "Giménez", "Soler", "Navarro", "Ortega", "Campos"],
    "it": ["Conti", "Ferri", "Galli", "Rinaldi", "Marchi", "Bruno", "Villa"],
}
REL_FR = {"m": ["mon frère", "mon cousin", "mon ami", "mon fils", "mon père", "mon collègue", "mon copain",
                "mon coloc", "mon oncle"],
          "f": ["ma sœur", "ma cousine", "mon amie", "ma fille", "ma mère", "ma collègue", "ma copine",
                "ma coloc", "ma tante"]}
REL_EN = {"m": ["my brother", "my cousin", "my friend", "my son", "my dad", "my colleague", "my boyfriend",
                "my flatmate", "my uncle"],
          "f": ["my sister", "my cousin", "my friend", "my daughter", "my mum", "my colleague", "my girlfriend",
                "my flatmate", "my aunt"]}
AGE_BY_REL = {"son": (16, 29), "daughter": (16, 29), "dad": (48, 72), "mum": (46, 70), "uncle": (40, 66),
              "aunt": (40, 66)}

# ---------------------------------------------------------------------------------------------------------
# Templates
# ---------------------------------------------------------------------------------------------------------

SEED_OFFERS = [  # real posts quoted in the Le Monde article of 14 November 2015 (../shared/seed), verbatim
    ("Rue Castagnary je peux encore héberger du monde #PorteOuverte", "21:48"),
    ("je peux ouvrir mon appart dans le 20e #PorteOuverte", "21:31"),
    ("si quelqu’un cherche un abri vers Belleville, prévenez-moi #PorteOuverte", "22:07"),
]

OFFER = {
    "fr": [
        "#PorteOuverte {lieu}, {cap}. {contact}",
        "{tag} J'habite {lieu}, je peux accueillir {cap_n} cette nuit. {contact}",
        "Je peux héberger {cap_n} {lieu}. {contact} {tag}",
        "Si vous êtes coincés {lieu}, ma porte est ouverte : {cap}. {contact} {tag}",
        "{tag} {zone} : {cap} dispo, {comfort}. {contact}",
        "On a de la place {lieu} pour {cap_n}. N'hésitez pas, {contact_lc} {tag}",
        "Besoin d'un abri ? {Cap} {lieu}, {contact_lc} {tag}",
        "{tag} {zone}, {cap} + {comfort}. {contact}",
        "Je suis {lieu}, je peux ouvrir ma porte à {cap_n}. {contact} {tag}",
        "Porte ouverte {lieu}. {Cap}, {comfort}. {contact} {tag}",
        "Quelqu'un de bloqué {lieu} ? J'ai {cap} pour la nuit. {contact} {tag}",
        "ma porte est ouverte {lieu}, {cap}, {contact_lc} #porteouverte",
        "{tag} Petit studio {lieu} mais je peux dépanner {cap_n}. {contact}",
        "Coloc {lieu} : on peut accueillir {cap_n}, {comfort}. {contact} {tag}",
        "URGENT {tag} : {cap} {lieu}, on vous attend. {contact}",
        "Pour ceux qui ne peuvent pas rentrer : {cap} {lieu}. {contact} {tag}",
        "Encore de la place chez moi {lieu} : {cap}. {contact} {tag}",
        "Je suis en voiture {lieu}, je peux ramener {cap_n} vers {dest}. {contact} {tag}",
        "Je rentre en voiture vers {dest}, {seats} places libres depuis {zone}. {contact} {tag}",
        "Scooter + deuxième casque, je peux raccompagner quelqu'un {lieu} jusqu'à {dest}. {contact}",
        "Taxi, compteur coupé cette nuit : je ramène gratuitement les gens depuis {zone}. {contact} {tag}",
        "Notre {venue} {lieu} garde le rideau à moitié baissé mais on fait entrer ceux qui cherchent un abri. {tag}",
        "{metier}, je suis dispo cette nuit pour aider {lieu}, dites-moi où aller. {contact}",
        "Je parle {langues}, je peux servir d'interprète pour les familles et les secours cette nuit. {contact}",
        "Psychologue, j'offre une écoute gratuite aux témoins et aux proches ce week-end. {contact}",
        "Chargeur, eau, toilettes et canapé {lieu} pour ceux qui attendent dehors. {contact} {tag}",
        "Je peux garder des enfants demain pour les familles qui doivent aller à l'hôpital, {lieu}. {contact}",
        "Appart vide {lieu} (je suis chez mes parents ce week-end), je peux laisser les clés à {cap_n}. {contact} {tag}",
        "{tag} On est {lieu}, grand salon, {cap}. On parle aussi anglais / we speak English. {contact}",
        "Hébergement possible {lieu} pour {cap_n}, café et couvertures. {contact} {tag}",
        "Si quelqu'un cherche un toit {lieu} : {cap}, {contact_lc}. {tag}",
        "Je donnerai mon sang demain matin, et j'ai {cap} {lieu} pour cette nuit si besoin. {contact} {tag}",
        "{tag} dispo {lieu} : {cap}. Pas besoin de me connaître, {contact_lc}",
    ],
    "en": [
        "{tag} I'm {lieu}, {cap}, {contact_lc}",
        "Stuck {lieu}? My door is open, {cap}. {contact} {tag}",
        "{tag} {zone}: {cap} available tonight, {comfort}. {contact}",
        "Tourists stranded in Paris: {cap} {lieu}, we speak English. {contact} {tag}",
        "Can host {cap_n} {lieu} tonight, no questions asked. {contact} {tag}",
        "Driving from {zone} towards {dest}, {seats} free seats, happy to give rides. {contact} {tag}",
        "If anyone needs somewhere safe {lieu}, {cap}. {contact} #OpenDoor",
        "Nurse off duty {lieu}, can help if anyone is hurt, {contact_lc}",
        "Our {venue} {lieu} is keeping its doors open all night for anyone who needs shelter {tag}",
        "Need a place to crash {lieu}? {Cap}, {comfort}. {contact} {tag}",
        "Spare room {lieu}, {cap}. Tea, wifi, charger. {contact} #OpenDoor #PorteOuverte",
    ],
    "de": [
        "#OffeneTüren {cap} {lieu}, {contact_lc}",
        "Deutsche Fans nach dem Spiel gestrandet? {Cap} {lieu}. {contact} #OffeneTüren #PorteOuverte",
        "Wer in Paris festsitzt: {cap} {lieu}, wir sprechen Deutsch. {contact} #OffeneTüren",
        "Ich bin mit dem Auto {lieu} und kann Leute Richtung {dest} mitnehmen, {seats} Plätze frei. {contact}",
        "Unsere Tür steht offen {lieu}: {cap}, {comfort}. {contact} #OffeneTüren",
        "Schlafplatz gesucht? {Cap} {lieu}. {contact} #PorteOuverte #OffeneTüren",
    ],
    "es": [
        "#PorteOuverte {Cap} {lieu} para quien lo necesite. {contact}",
        "¿Españoles atrapados en París? {Cap} {lieu}, hablamos español. {contact} #PorteOuverte",
        "Puerta abierta {lieu}: {cap}, {comfort}. {contact} #PuertasAbiertas #PorteOuverte",
        "Tengo coche {lieu}, puedo llevar a {seats} personas hacia {dest}. {contact}",
    ],
    "it": [
        "#PorteOuverte {Cap} {lieu} per chi ne ha bisogno. {contact}",
        "Italiani bloccati a Parigi? {Cap} {lieu}, parliamo italiano. {contact} #PorteOuverte",
        "Porta aperta {lieu}: {cap}, {comfort}. {contact} #PorteAperte #PorteOuverte",
        "Ho la macchina {lieu}, posso portare {seats} persone verso {dest}. {contact}",
    ],
}
# Same author posting again a little later, or someone relaying an offer.
OFFER_REPOST_FR = ["MAJ : toujours dispo ! {orig}", "Toujours de la place. {orig}", "Je remonte mon tweet : {orig}",
                   "{orig} (encore valable)", "UP {orig}", "Plus qu'une place. {orig}"]
OFFER_REPOST_EN = ["Still available! {orig}", "Bumping this: {orig}", "UPDATE still room. {orig}"]
OFFER_RELAY_FR = ["Je relaie : {orig}", "À partager : {orig}", "Vu passer, je relaie pour les gens du quartier : {orig}"]

REQUEST = {
    "fr": [
        "{tag} Je suis bloqué{e} {lieu}, quelqu'un peut m'héberger cette nuit ?",
        "On est {n} {lieu}, on ne peut pas rentrer, quelqu'un a de la place ? {tag}",
        "Qui peut héberger {who} {lieu} ? {Why} {tag}",
        "URGENT cherche un toit pour {cap_n} {lieu}, {why} {tag}",
        "Besoin d'un abri {lieu} pour cette nuit svp, RT {tag}",
        "Quelqu'un peut venir chercher {who} {lieu} ? {Why}",
        "Il reste des portes ouvertes {lieu} ? On est {n} et personne ne répond {tag}",
        "Des taxis roulent encore ? Je suis coincé{e} {lieu} et je dois rentrer à {home}",
        "Est-ce que {ligne} roule encore ? Je suis {lieu}, je dois aller à {home}",
        "Quelqu'un pourrait me prêter un chargeur {lieu} ? Je dois prévenir ma famille",
        "RT svp : on cherche un endroit où dormir {lieu} pour {who}, {why}",
        "Je cherche un hébergement {lieu}, mon hôtel est dans le périmètre bouclé {tag}",
        "Besoin d'un chauffeur pour ramener {cap_n} du Stade de France vers {home}, plus de RER",
        "Ma copine est coincée dans un bar {lieu}, quelqu'un du quartier peut l'accueillir ?",
        "Des gens hébergent encore {lieu} ? {Why} {tag}",
        "svp quelqu'un {lieu} pour accueillir {cap_n} ? {why}",
    ],
    "en": [
        "Stuck {lieu} with {who}, can anyone host us tonight? {tag}",
        "Does anyone have a spare couch {lieu}? {Why} #PorteOuverte",
        "Are taxis still running in Paris? I'm stuck {lieu} and can't get back to my hotel",
        "Please RT: looking for a place to stay {lieu} for {who}, {why}",
        "Is anyone still offering shelter {lieu}? We're {n} people #OpenDoor",
    ],
    "de": [
        "Wir stecken {lieu} fest, kann uns jemand aufnehmen? #OffeneTüren",
        "Fahren noch Taxis? Ich bin {lieu} und komme nicht ins Hotel",
        "Bitte teilen: Deutsche Fans suchen einen Schlafplatz {lieu} #OffeneTüren",
    ],
    "es": [
        "Estamos atrapados {lieu}, ¿alguien nos puede acoger esta noche? #PorteOuverte",
        "¿Alguien sabe si hay taxis? Estoy {lieu} y no puedo volver al hotel",
    ],
    "it": [
        "Siamo bloccati {lieu}, qualcuno può ospitarci stanotte? #PorteOuverte",
        "I taxi funzionano ancora? Sono {lieu} e non riesco a tornare in albergo",
    ],
}

MISSING = {
    "fr": [
        "#RechercheParis Sans nouvelles de {rel} {name}, {age} ans, {il} était {site} ce soir. Merci de partager",
        "{Rel}, {first}, {age} ans, était {site} vers {heure}. {Il} ne répond plus. #RechercheParis",
        "Nous cherchons {name}, {age} ans, vu{e} pour la dernière fois {site} vers {heure}. {Desc}. Toute info en MP #RechercheParis",
        "Qui a vu {name} ? {Desc}, {il} était {site}. #RechercheParis",
        "Aucune nouvelle de {name} depuis {heure}, {il} était {site}. Sa famille est très inquiète. {contact}",
        "#RechercheParis {name}, {age} ans, dernière localisation {site}, téléphone éteint",
        "Partagez svp : {first}, {age} ans, {desc}, {site} vers {heure}. #RechercheParis",
        "On recherche toujours {name}, {age} ans, {il} était {site}. {contact} #RechercheParis",
        "Je suis sans nouvelles de {rel} {first} depuis {heure}, {il} devait être {site}. Quelqu'un l'a vu{e} ?",
        "URGENT #RechercheParis {name} ({age} ans) — {site} — {desc}. Merci de RT",
        "Les proches de {name}, {age} ans, cherchent à {le} joindre : {il} était {site}. {contact}",
        "{Rel} {first} n'est pas rentré{e}. {Il} était {site} ce soir. {Desc}. Aidez-nous #RechercheParis",
        "Aucun hôpital n'a enregistré {name}, {age} ans, {il} était {site}. On panique #RechercheParis",
        "Quelqu'un était {site} avec {name} ? {Desc}. On {le} cherche toujours",
    ],
    "en": [
        "#RechercheParis Looking for {rel} {name}, {age}, {he} was {site} tonight, no news since {heure}. Please RT",
        "Has anyone seen {name}? {age}, {desc}, {he} was {site}. Please DM",
        "Please help find {name}, {age}, last seen {site} around {heure}. {contact}",
        "No news from {rel} {first} since the attacks, {he} was {site}. #RechercheParis #ParisAttacks",
        "Still searching for {name}, {age}. {Desc}. {He} was {site} #RechercheParis",
        "Our friend {name} ({age}) was {site} and isn't answering. Any info please #RechercheParis",
    ],
    "de": [
        "#RechercheParis Wir suchen {name}, {age}, {er} war heute Abend {site}. Bitte teilen",
        "Keine Nachricht von {name} seit {heure}, {er} war {site}. Infos bitte per DM #RechercheParis",
    ],
    "es": [
        "#RechercheParis Buscamos a {name}, {age} años, estaba {site} esta noche. Difundid por favor",
        "Sin noticias de {name} desde las {heure}, estaba {site} #RechercheParis",
    ],
    "it": [
        "#RechercheParis Cerchiamo {name}, {age} anni, era {site} stasera. Condividete per favore",
        "Nessuna notizia di {name} dalle {heure}, era {site} #RechercheParis",
    ],
}
FOUND = {
    "fr": [
        "RETROUVÉ{E} : {first} est à {hopital}, blessé{e} mais vivant{e}. Merci à tous #RechercheParis",
        "{first} a été retrouvé{e}, {il} est {sain} et {sauf}. Merci pour vos partages, vous pouvez supprimer",
        "Mise à jour : {first} est en sécurité, {il} s'était réfugié{e} chez un inconnu. Merci #PorteOuverte #RechercheParis",
        "{Il} est vivant{e} ! {first} nous a appelés depuis {hopital}. Merci infiniment #RechercheParis",
        "Bonne nouvelle : {first} est rentré{e}, son téléphone était déchargé. Merci pour les RT",
        "{first} est hospitalisé{e} à {hopital}, hors de danger. Merci de ne plus partager #RechercheParis",
    ],
    "en": [
        "UPDATE: {first} has been found, {he}'s in hospital and stable. Thank you all #RechercheParis",
        "{first} is safe!! {He} just called us. Thank you for sharing",
        "Found safe: {first} is home, phone was dead. Please stop sharing #RechercheParis",
    ],
    "de": ["UPDATE: {first} ist in Sicherheit! Danke fürs Teilen #RechercheParis"],
    "es": ["ACTUALIZACIÓN: ¡{first} está a salvo! Gracias a todos #RechercheParis"],
    "it": ["AGGIORNAMENTO: {first} sta bene! Grazie a tutti #RechercheParis"],
}
SELF_SAFE = {
    "fr": ["Je vais bien, j'étais {site} mais je suis rentré{e}. Merci pour vos messages",
           "Pour ceux qui s'inquiètent : je suis en sécurité, j'ai pu partir de {zone} à temps. Prévenez ma famille svp",
           "Safe. J'étais {site} ce soir, je suis chez des amis. Merci à tous"],
    "en": ["I'm OK everyone, I was {site} but I'm home now. Please tell my family"],
}

SUPPORT = {
    "fr": [
        "Pensées pour les victimes et leurs proches. {st}", "Magnifique cette solidarité #PorteOuverte, fier de ma ville ce soir",
        "#PorteOuverte montre le meilleur de Paris dans le pire moment {emo}", "Je n'ai pas de mots. Courage Paris {emo} {st}",
        "{From}, toutes nos pensées vont vers Paris {emo} {st}",
        "Respect aux policiers, pompiers, médecins et infirmiers qui sont sur le terrain cette nuit {st}",
        "On ne cédera pas à la peur. {st}", "Paris, je t'aime {emo} {st}",
        "Le cœur brisé ce soir. Pensées pour les familles {st}",
        "Merci à tous ceux qui ouvrent leur porte ce soir, vous êtes formidables #PorteOuverte",
        "Tant d'entraide sur #PorteOuverte, ça redonne un peu d'espoir dans cette nuit horrible",
        "Fluctuat nec mergitur {emo}", "Courage à mes amis {lieu}, je pense fort à vous",
        "Je pense aux familles qui attendent encore des nouvelles cette nuit #RechercheParis",
        "Solidarité avec les blessés, les familles, les soignants. {st}", "Nous sommes tous Parisiens ce soir {st}",
        "Une bougie à ma fenêtre pour les victimes {emo}", "Repose en paix à toutes les victimes. Paris debout {st}",
        "Horrible. Tellement triste pour mon pays {emo}",
        "Merci aux chauffeurs de taxi qui ramènent les gens gratuitement ce soir, bravo",
        "Ouvrons nos cœurs, pas seulement nos portes {emo}", "Ce soir Paris pleure, mais Paris est debout {st}",
        "Toutes mes pensées aux habitants du 10e et du 11e {emo}",
        "La France est en deuil. Force et courage aux familles {st}",
    ],
    "en": [
        "Thoughts and prayers with Paris tonight {st}", "Praying for Paris {emo} {st}",
        "{From}, sending love to Paris {emo} {st}",
        "Beautiful how Paris opens its doors to strangers tonight #PorteOuverte",
        "The #PorteOuverte hashtag is restoring my faith in humanity", "Heartbroken. Stay strong Paris {st}",
        "We stand with France {emo} {st}", "Thinking of everyone in Paris tonight. Stay safe {st}",
        "Humanity at its best: Parisians opening their homes to strangers #PorteOuverte #OpenDoor",
        "RIP to all the victims. My heart goes out to their families {st}", "Love will always win over hate {st}",
        "So much respect for the first responders in Paris tonight",
        "Can't stop watching the news. Paris, we're with you {emo}",
        "Vive la France. We are all Parisians tonight {st}",
        "Thoughts with everyone still waiting for news of loved ones #RechercheParis",
        "Music will never die. RIP to the fans at the Bataclan {emo}", "No words. Just sadness. {st}",
        "Lighting a candle for Paris tonight {emo}",
    ],
    "de": [
        "Unsere Gedanken sind bei den Menschen in Paris {st}",
        "Wie schön, dass Paris heute Nacht seine Türen öffnet #OffeneTüren #PorteOuverte",
        "{From} senden wir Liebe nach Paris {emo}", "Fassungslos. Wir sind alle Paris {st}",
        "Danke an alle Helfer in Paris heute Nacht {emo}",
    ],
    "es": [
        "Todo mi apoyo a París esta noche {st}", "Qué bonito ver a París abrir sus puertas #PorteOuverte",
        "{From}, todo nuestro cariño para Francia {emo}", "Sin palabras. Fuerza París {st}",
        "Descansen en paz las víctimas de París {emo}",
    ],
    "it": [
        "Tutta la mia vicinanza a Parigi stanotte {st}", "Che bello vedere Parigi aprire le porte #PorteOuverte",
        "{From} un abbraccio a Parigi {emo}", "Senza parole. Forza Parigi {st}",
        "Riposate in pace, vittime di Parigi {emo}",
    ],
}

# Situational information, each with the window of the night (UTC) in which it was posted and a weight.
# who: "official" posts come from the fictional news/authority accounts, "any" from anyone.
INFO = [
    ("fr", "20:17", "21:20", 3, "any", "Explosion entendue au Stade de France pendant le match #FRAALL"),
    ("fr", "20:21", "21:30", 3, "any", "Deux explosions près du Stade de France, le match continue, les spectateurs ne savent rien"),
    ("fr", "20:25", "22:00", 2, "official", "Le président de la République a été évacué du Stade de France"),
    ("fr", "20:28", "22:00", 4, "official", "Fusillade rue Bichat et rue Alibert, plusieurs blessés devant le Petit Cambodge et le Carillon #FusilladeParis"),
    ("fr", "20:30", "21:45", 3, "any", "Je suis rue Alibert, j'ai entendu des rafales, des gens par terre devant le Carillon, les secours arrivent"),
    ("fr", "20:36", "22:30", 2, "official", "Coups de feu rue de la Fontaine-au-Roi, évitez le secteur #FusilladeParis"),
    ("fr", "20:40", "22:30", 3, "official", "Fusillade rue de Charonne, devant La Belle Équipe, nombreuses victimes"),
    ("fr", "20:45", "22:30", 2, "any", "Explosion boulevard Voltaire, au Comptoir Voltaire, on entend les sirènes"),
    ("fr", "20:50", "23:20", 5, "official", "Prise d'otages en cours au Bataclan, boulevard Voltaire, pendant le concert #Bataclan"),
    ("fr", "20:50", "23:59", 3, "any", "Évitez le 10e et le 11e arrondissement, restez à l'intérieur"),
    ("fr", "21:05", "02:00", 8, "prefecture", "#FusilladeParis Restez chez vous, ne sortez qu'en cas de nécessité absolue. Suivez les consignes des forces de l'ordre."),
    ("fr", "21:10", "23:30", 2, "any", "Les spectateurs sont descendus sur la pelouse du Stade de France, évacuation en cours"),
    ("fr", "21:15", "02:00", 3, "official", "Plan blanc déclenché dans tous les hôpitaux de l'AP-HP"),
    ("fr", "21:20", "03:00", 4, "prefecture", "Ne diffusez pas de photos des victimes ni les positions des forces de l'ordre. Privilégiez les informations officielles."),
    ("fr", "21:30", "03:00", 2, "official", "Plusieurs stations de métro fermées dans le secteur République, Oberkampf, Voltaire selon la RATP"),
    ("fr", "21:30", "03:00", 3, "prefecture", "Attention aux rumeurs : aucune fusillade aux Halles ni au Trocadéro. Ne relayez que les informations vérifiées."),
    ("fr", "21:40", "05:00", 4, "prefecture", "Familles et proches : une cellule d'information du public est ouverte au 01 99 00 52 13"),
    ("fr", "22:00", "04:00", 2, "any", "Facebook active le Safety Check pour Paris, indiquez à vos proches que vous êtes en sécurité"),
    ("fr", "22:30", "05:00", 2, "any", "Une carte des offres #PorteOuverte par arrondissement : https://example.org/carte-porteouverte"),
    ("fr", "22:00", "03:00", 2, "any", "Merci de réserver #PorteOuverte aux offres d'hébergement, les messages de soutien noient les vraies offres"),
    ("fr", "22:58", "01:00", 4, "official", "Le président annonce l'état d'urgence sur tout le territoire et la fermeture des frontières"),
    ("fr", "23:30", "03:00", 2, "official", "Précision : les frontières ne sont pas fermées, les contrôles aux frontières sont rétablis"),
    ("fr", "23:00", "02:00", 2, "official", "Conseil des ministres extraordinaire à minuit, l'état d'urgence est décrété"),
    ("fr", "23:22", "00:30", 4, "official", "Assaut en cours au Bataclan #Bataclan"),
    ("fr", "23:25", "00:30", 2, "any", "On entend des explosions et des tirs du côté du Bataclan, la police nous a fait reculer"),
    ("fr", "23:40", "03:00", 3, "official", "Fin de l'assaut au Bataclan, les otages sont évacués, le bilan est très lourd"),
    ("fr", "01:30", "07:00", 3, "official", "Bilan provisoire : au moins 120 morts selon le parquet de Paris"),
    ("fr", "01:00", "07:00", 2, "official", "Écoles, musées, bibliothèques, piscines et marchés fermés samedi à Paris, annonce la mairie"),
    ("fr", "00:30", "07:00", 2, "prefecture", "Les hôpitaux demandent aux familles de ne pas se déplacer et d'appeler la cellule d'information du public"),
    ("fr", "00:00", "05:00", 1, "any", "Les taxis parisiens ont coupé le compteur ce soir pour ramener les gens, selon plusieurs chauffeurs"),
    ("en", "20:19", "21:30", 3, "official", "Explosions reported near the Stade de France during France v Germany #ParisAttacks"),
    ("en", "20:30", "22:00", 3, "official", "Shooting reported in the 10th arrondissement of Paris, several injured #ParisAttacks"),
    ("en", "20:55", "23:20", 4, "official", "Hostage situation at the Bataclan concert hall in Paris #ParisAttacks"),
    ("en", "21:10", "03:00", 4, "official", "Paris police urge residents to stay at home"),
    ("en", "23:00", "01:30", 3, "official", "French President declares state of emergency, borders closed"),
    ("en", "23:35", "03:00", 2, "official", "Clarification: France's borders are not closed, border controls have been reinstated"),
    ("en", "23:22", "00:30", 3, "official", "Police assault on the Bataclan under way #ParisAttacks"),
    ("en", "01:30", "07:00", 3, "official", "At least 120 people killed in Paris attacks, prosecutor says"),
    ("en", "22:00", "04:00", 2, "any", "Facebook has activated Safety Check for Paris"),
    ("en", "21:30", "03:00", 2, "any", "Please don't share photos of victims or police positions #ParisAttacks"),
    ("en", "22:30", "05:00", 2, "any", "Someone made a map of #PorteOuverte shelter offers by arrondissement: https://example.org/map"),
    ("en", "21:00", "23:30", 2, "any", "Eyewitness: huge police presence near République, ambulances everywhere"),
    ("en", "22:00", "02:00", 2, "any", "The German team is spending the night at the Stade de France, according to their federation"),
    ("de", "20:20", "21:40", 3, "official", "Explosionen am Stade de France während des Länderspiels Frankreich-Deutschland"),
    ("de", "21:00", "23:20", 3, "official", "Geiselnahme im Konzertsaal Bataclan in Paris"),
    ("de", "22:00", "02:00", 2, "official", "Die deutsche Nationalmannschaft bleibt die Nacht über im Stadion"),
    ("de", "23:05", "03:00", 2, "official", "Hollande ruft den Ausnahmezustand aus, Grenzkontrollen werden wieder eingeführt"),
    ("de", "00:00", "06:00", 2, "official", "Auswärtiges Amt richtet Krisenstab ein, Hotline für Angehörige auf der Website"),
    ("es", "20:25", "21:40", 2, "official", "Explosiones junto al Stade de France durante el partido Francia-Alemania"),
    ("es", "21:00", "23:20", 2, "official", "Toma de rehenes en la sala Bataclan de París"),
    ("es", "23:05", "03:00", 2, "official", "Francia decreta el estado de emergencia y restablece los controles fronterizos"),
    ("es", "00:00", "06:00", 1, "official", "La embajada de España habilita un teléfono para familiares, consultad la web"),
    ("it", "20:25", "21:40", 2, "official", "Esplosioni vicino allo Stade de France durante la partita Francia-Germania"),
    ("it", "21:00", "23:20", 2, "official", "Presa di ostaggi al Bataclan, la polizia è sul posto"),
    ("it", "23:05", "03:00", 2, "official", "Hollande proclama lo stato di emergenza e ripristina i controlli alle frontiere"),
    ("it", "00:00", "06:00", 1, "official", "La Farnesina ha attivato l'unità di crisi per gli italiani a Parigi"),
]
# Eyewitness/advice templates with slots, posted by anyone while the night is live.
INFO_TEMPLATES = {
    "fr": [("20:40", "01:30", "Je suis {lieu}, il y a des sirènes partout, la police bloque les rues"),
           ("20:45", "01:00", "Énorme présence policière {lieu}, un hélicoptère tourne au-dessus du 11e"),
           ("20:40", "23:30", "Des gens courent {lieu}, on nous a fait entrer dans un restaurant, on attend"),
           ("21:00", "03:00", "Conseil : si vous êtes dehors {lieu}, entrez dans le premier lieu ouvert et éloignez-vous des vitrines"),
           ("21:00", "02:00", "Métro fermé {lieu}, plus aucun train ne s'arrête, prévoyez de marcher"),
           ("21:30", "04:00", "Ici {lieu} c'est calme mais les bars ont fermé et la police patrouille")],
    "en": [("20:45", "01:00", "I'm {lieu}, sirens everywhere, police are closing the streets"),
           ("21:00", "02:00", "Metro closed {lieu}, walk or stay where you are")],
}

TOPICAL = ("20:50", "07:00")  # noise that rides the night's hashtags or talks about the attacks
# When each hashtag took off (UTC). Posts are not placed before their hashtags existed.
HASHTAG_BIRTH = {"porteouverte": "21:00", "portesouvertes": "21:05", "opendoor": "21:10", "offenetüren": "21:20",
                 "puertasabiertas": "21:25", "porteaperte": "21:25", "rechercheparis": "22:30",
                 "prayforparis": "20:45", "prayersforparis": "20:50", "jesuisparis": "21:00", "notafraid": "21:30",
                 "parisattacks": "20:25", "fusilladeparis": "20:28", "bataclan": "20:50",
                 "todossomosparis": "21:30", "siamotuttiparigini": "21:30"}
NOISE = {
    "fr": [
        ("19:45", "20:20", "Allez les Bleus ! #FRAALL"), ("19:45", "20:20", "Ce soir c'est France-Allemagne, soirée pizza devant le match"),
        ("19:45", "20:40", "Giroud titulaire, enfin #FRAALL"), ("19:45", "21:00", "Vivement le week-end, semaine interminable"),
        (*TOPICAL, "Gagnez un iPhone 6S, RT + follow ! {hs}"), (*TOPICAL, "Perdez 5 kg en une semaine, lien en bio {hs}"),
        (*TOPICAL, "Promo -40 % sur toute la boutique ce week-end, code PARIS15 {hs}"),
        (*TOPICAL, "Gagnez 500 € par jour depuis chez vous, infos en DM {hs}"), (*TOPICAL, "Vends followers pas chers, 1000 pour 5 € {hs}"),
        (*TOPICAL, "Mon chat fait #PorteOuverte depuis 3 heures, il veut sortir puis rentrer 😂"),
        (*TOPICAL, "Porte ouverte chez moi mais uniquement pour les livreurs de pizza #PorteOuverte"),
        (*TOPICAL, "Tout ça c'est la faute de {cible}, ça fait des années qu'on le dit"),
        (*TOPICAL, "Ils vont encore nous parler d'unité nationale, quelle hypocrisie"),
        (*TOPICAL, "Les chaînes d'info en continu font du spectacle avec le malheur des gens"),
        (*TOPICAL, "Les politiques vont encore récupérer ça, comme d'habitude"),
        (None, None, "Quelqu'un a le lien du streaming de la série ? Je m'ennuie"),
        (*TOPICAL, "Les filtres bleu-blanc-rouge sur les photos de profil, ça sert à quoi concrètement ?"),
        (None, None, "Journée portes ouvertes de l'école de commerce samedi 28 novembre, inscrivez-vous"),
        (None, None, "Chambre à louer {lieu}, 550 € CC, dispo en décembre, MP"),
        (None, None, "Cherche coloc {lieu}, 700 € par mois, non fumeur"),
        (None, None, "J'enfonce peut-être des portes ouvertes mais ce gouvernement est nul"),
        (*TOPICAL, "Je cherche mon chargeur depuis une heure, disparu #RechercheParis"),
        (None, None, "Encore un soir où je mange des pâtes"),
        (*TOPICAL, "Soirée raclette chez mes parents, loin de tout ça"),
        (*TOPICAL, "Abonnez-vous à ma chaîne YouTube, nouvelle vidéo demain {hs}"),
        (*TOPICAL, "C'était prévisible, {cible} ont tout fait de travers"),
        (*TOPICAL, "Réservez votre hôtel à Paris au meilleur prix ce week-end ! {hs}"),
        (None, None, "Ma porte est ouverte, mon frigo est vide, comme d'hab"),
        ("20:50", "21:40", "Personne ne parle du match ? La France menait 2-0"),
        (*TOPICAL, "Tellement de tweets que mon téléphone rame, vivement demain"),
    ],
    "en": [
        ("19:45", "20:20", "France v Germany tonight, who's watching? #FRAGER"),
        (*TOPICAL, "Free iPhone giveaway, RT and follow to win {hs}"), (*TOPICAL, "Get 10k followers now, link in bio {hs}"),
        (*TOPICAL, "Best deals on Paris hotels this weekend, book now {hs}"),
        (*TOPICAL, "This is what happens with open borders. Wake up"),
        (*TOPICAL, "The media is milking this for ratings as usual"),
        (*TOPICAL, "My cat has been doing #OpenDoor all night lol"),
        (None, None, "Can't believe the season finale is tonight, no spoilers!"),
        (*TOPICAL, "Changing your profile pic won't help anyone, just saying"),
        (None, None, "Open house this Saturday at our new showroom, free drinks! #OpenDoor"),
        (None, None, "Lost my keys again, have you seen them? lol"), (None, None, "Bored. Anyone up for Fifa?"),
        (*TOPICAL, "Politicians will use this for their campaigns, watch"),
        (*TOPICAL, "Hot singles in your area {hs}"),
    ],
    "de": [
        ("19:45", "20:20", "Auf geht's Jungs! #FRAGER"), (*TOPICAL, "Gewinnspiel: iPhone gewinnen, einfach teilen {hs}"),
        (*TOPICAL, "Das haben wir alles der Politik zu verdanken"), (None, None, "Tag der offenen Tür im Autohaus am Samstag #OffeneTüren"),
    ],
    "es": [
        (*TOPICAL, "Sorteo de un iPhone, da RT y sígueme {hs}"), (*TOPICAL, "Toda la culpa es de los políticos, como siempre"),
        (None, None, "Jornada de puertas abiertas en nuestra academia el sábado"), (None, None, "¿Alguien sabe a qué hora empieza la serie?"),
    ],
    "it": [
        (*TOPICAL, "Vinci un iPhone, metti like e condividi {hs}"), (*TOPICAL, "È tutta colpa dei politici, come sempre"),
        (None, None, "Open day alla nostra scuola di lingue sabato"), (None, None, "Qualcuno sa che ore sono a Parigi? lol"),
    ],
}
CIBLE = ["l'Europe", "Schengen", "la gauche", "la droite", "Bruxelles", "nos dirigeants"]
NOISE_HS = ["#PrayForParis", "#PorteOuverte", "#ParisAttacks", "#RechercheParis", "#PrayForParis #PorteOuverte", ""]

# ---------------------------------------------------------------------------------------------------------
# Authors and ids
# ---------------------------------------------------------------------------------------------------------

OFFICIAL = {
    "fr": [("alertes_paris_info", "Alertes Paris Info"), ("journal_du_soir_fr", "Le Journal du Soir"),
           ("radio_cite_direct", "Radio Cité Direct"), ("trafic_idf_nuit", "Trafic IDF Nuit")],
    "en": [("globalnewsdesk_demo", "Global News Desk"), ("breakingwire_eu", "Breaking Wire Europe")],
    "de": [("nachrichten_aktuell_24", "Nachrichten Aktuell")], "es": [("noticias_aldia_es", "Noticias al Día")],
    "it": [("notizie_ora_it", "Notizie Ora")],
}
PREFECTURE = ("prefpolice_demo", "Préfecture de police (démo)")
MASTODON_INSTANCES = ["mastodon.social", "piaille.fr", "mamot.fr", "framapiaf.org", "chaos.social", "mastodon.uno"]
SOURCES = [("x", 78), ("mastodon", 9), ("bluesky", 7), ("sample", 6)]
TWITTER_EPOCH_MS = 1288834974657
B32_SORT = "234567abcdefghijklmnopqrstuvwxyz"


def ascii_fold(s):
    return "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c))


class Gen:
    def __init__(self):
        self.r = random.Random(SEED)
        self.posts = []  # dicts, each with "_class"
        self.tombstones = []
        self.authors = {lang: [] for lang in LANGS}
        self.sample_n = 0
        self.used_ids = {}
        self.lang_queues = {}

    # ---- primitives -------------------------------------------------------------------------------------
    def wpick(self, pairs):
        total = sum(w for _, w in pairs)
        x = self.r.uniform(0, total)
        for v, w in pairs:
            x -= w
            if x <= 0:
                return v
        return pairs[-1][0]

    def lang_for(self, cls):
        """The next language from a shuffled quota, so every language gets its share of every class."""
        queue = self.lang_queues.get(cls)
        if not queue:
            n = ORIGINALS[cls]
            queue = []
            for lang, share in zip(LANGS, LANG_MIX[cls]):
                queue += [lang] * max(MIN_PER_LANG, round(n * share))
            self.r.shuffle(queue)
            self.lang_queues[cls] = queue
        return queue.pop()

    def time_in(self, start, end):
        a, b = start.timestamp(), end.timestamp()
        return datetime.fromtimestamp(self.r.uniform(a, b), UTC).replace(microsecond=0)

    def time_for(self, cls):
        seg = self.wpick([((s, e), w * (at(e) - at(s)).total_seconds()) for s, e, w in ACTIVITY[cls]])
        return self.time_in(at(seg[0]), at(seg[1]))

    def new_author(self, lang, source):
        sex = self.r.choice("mf")
        first = self.r.choice(FIRST[lang][sex])
        last = self.r.choice(LAST[lang])
        base = ascii_fold(first).lower()
        style = self.r.randrange(5)
        if style == 0:
            handle = f"{base}_{ascii_fold(last).lower().replace(' ', '')[:4]}{self.r.randrange(10, 99)}"
        elif style == 1:
            handle = f"{base}{self.r.randrange(1975, 2001)}"
        elif style == 2:
            handle = f"{ascii_fold(last).lower().replace(' ', '')}_{base[0]}{self.r.randrange(100, 999)}"
        elif style == 3:
            handle = f"{base}.{self.r.choice(['paris', 'p75', 'x', 'tw', 'off', 'lr'])}{self.r.randrange(1, 99)}"
        else:
            handle = f"{base}{ascii_fold(last)[:1].lower()}_{self.r.randrange(1000, 9999)}"
        name = f"{first} {last[0]}." if self.r.random() < 0.5 else f"{first} {last}"
        if self.r.random() < 0.15:
            name = None
        a = {"handle": handle.replace(".", "_"), "name": name, "lang": lang, "source": source}
        if source == "x":
            a["id"] = str(self.r.randrange(10**7, 4 * 10**9))
        elif source == "mastodon":
            inst = self.r.choice(MASTODON_INSTANCES)
            a["instance"] = inst
            a["id"] = str(self.r.randrange(10**5, 10**6))
            a["handle"] = f"@{a['handle']}@{inst}"
            a["user"] = handle.replace(".", "_")
        elif source == "bluesky":
            a["id"] = "did:plc:" + "".join(self.r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(24))
            a["handle"] = f"{handle.replace('_', '-').replace('.', '-')}.bsky.social"
        else:
            a["id"] = None
        return a

    def author(self, lang, source=None, fresh=0.55):
        if source is None:
            source = self.wpick(SOURCES)
        pool = [a for a in self.authors[lang] if a["source"] == source]
        if pool and self.r.random() > fresh:
            return self.r.choice(pool)
        a = self.new_author(lang, source)
        self.authors[lang].append(a)
        return a

    def official(self, lang, kind):
        if kind == "prefecture":
            handle, name = PREFECTURE
            lang = "fr"
        else:
            handle, name = self.r.choice(OFFICIAL[lang])
        key = ("official", handle)
        if key not in self.used_ids:
            self.used_ids[key] = {"handle": handle, "name": name, "lang": lang, "source": "x",
                                  "id": str(self.r.randrange(10**7, 10**9))}
        return self.used_ids[key]

    def native_id(self, source, author, created):
        ms = int(created.timestamp() * 1000) + self.r.randrange(0, 1000)
        if source == "x":
            nid = str(((ms - TWITTER_EPOCH_MS) << 22) | (self.r.randrange(0, 1024) << 12) | self.r.randrange(4096))
            return nid, f"https://x.com/{author['handle']}/status/{nid}"
        if source == "mastodon":
            sid = str((ms << 16) | self.r.randrange(65536))
            return (f"https://{author['instance']}/users/{author['user']}/statuses/{sid}",
                    f"https://{author['instance']}/@{author['user']}/{sid}")
        if source == "bluesky":
            tid = ((ms * 1000 + self.r.randrange(1000)) << 10) | self.r.randrange(1024)
            rkey = "".join(B32_SORT[(tid >> (5 * i)) & 31] for i in range(12, -1, -1))
            return (f"at://{author['id']}/app.bsky.feed.post/{rkey}",
                    f"https://bsky.app/profile/{author['handle']}/post/{rkey}")
        self.sample_n += 1
        return f"paris-{self.sample_n:05d}", None

    def declared_lang(self, lang):
        x = self.r.random()
        if x < 0.10:
            return None
        if x < 0.13:
            return "und"
        if x < 0.16:  # wrong declaration: the account's or the app's language
            return self.r.choice([l for l in LANGS if l != lang])
        if lang == "en":
            return self.wpick([("en", 70), ("en-GB", 15), ("en-US", 15)])
        return lang

    def emit(self, cls, lang, text, created, author, repost_of=None, reply_to=None, media=None, exact_lang=False):
        source = author["source"]
        birth = max([at(HASHTAG_BIRTH[h.lower()]) for h in re.findall(r"#(\w+)", text)
                     if h.lower() in HASHTAG_BIRTH] or [T0])
        if created < birth:
            if cls == "missing":  # early searches went out under the attack hashtags
                text = text.replace("#RechercheParis", "#FusilladeParis")
            elif repost_of is None:
                created = self.time_in(birth, birth + timedelta(minutes=90))
        nid, url = self.native_id(source, author, created)
        text = re.sub(r"\s+", " ", text).strip()
        text = re.sub(r" ([.,])", r"\1", text)
        text = re.sub(r"\.\.(?!\.)", ".", text)
        if lang == "fr":  # elision before a name: "de Élodie" -> "d'Élodie"
            text = re.sub(r"\b([Dd])e (?=[AEIOUÉÈÎÔ][a-zéèïë])", r"\1'", text)
        hashtags = []
        for h in re.findall(r"#(\w+)", text):
            if h not in hashtags:
                hashtags.append(h)
        post = {"v": 1, "id": f"{source}:{nid}", "source": source}
        if url:
            post["url"] = url
        a = {"handle": author["handle"]}
        if author.get("name"):
            a["name"] = author["name"]
        if author.get("id"):
            a["id"] = author["id"]
        post["author"] = a
        post["text"] = text
        dl = lang if exact_lang else self.declared_lang(lang)
        if dl:
            post["lang"] = dl
        post["hashtags"] = hashtags
        post["created_at"] = created.strftime("%Y-%m-%dT%H:%M:%SZ")
        if repost_of:
            post["repost_of"] = repost_of
        if reply_to:
            post["reply_to"] = reply_to
        if media:
            post["media"] = media
        post["_class"], post["_lang"], post["_t"], post["_author"] = cls, lang, created, author
        self.posts.append(post)
        return post

    # ---- slot filling -----------------------------------------------------------------------------------
    def fill(self, template, lang, ctx=None):
        r = self.r
        gen = self

        class Slots(dict):
            def __missing__(self, key):
                if key[0].isupper():
                    v = self[key[0].lower() + key[1:]]
                    return v[:1].upper() + v[1:]
                v = gen.slot(key, lang)
                self[key] = v
                return v

        s = Slots(ctx or {})
        return template.format_map(s)

    def phone(self, lang):
        if lang == "fr":
            return f"06 39 98 {self.r.randrange(100):02d} {self.r.randrange(100):02d}"
        return f"+44 7700 900{self.r.randrange(1000):03d}"

    def email(self, lang):
        first = ascii_fold(self.r.choice(FIRST[lang][self.r.choice("mf")])).lower()
        last = ascii_fold(self.r.choice(LAST[lang])).lower().replace(" ", "")
        return f"{first}.{last}{self.r.randrange(10, 99)}@example.org"

    def slot(self, key, lang):
        r = self.r
        if key == "lieu":
            return r.choice(LIEU[lang])
        if key == "zone":
            return r.choice(ZONE.get(lang, ZONE["en"]))
        if key == "cap":
            return r.choice(CAP[lang])
        if key == "cap_n":
            return r.choice(CAP_N.get(lang, CAP_N["en"]))
        if key == "comfort":
            return r.choice(COMFORT[lang])
        if key == "dest":
            return r.choice(DEST[lang])
        if key == "seats":
            return r.choice(["2", "3", "4"])
        if key == "tag":
            return self.wpick(TAG.get(lang, TAG["en"]))
        if key == "st":
            return self.wpick(SUPPORT_TAGS[lang])
        if key == "emo":
            return r.choice(EMO)
        if key == "from":
            return r.choice(FROM[lang])
        if key == "metier":
            return r.choice(METIER)
        if key == "venue":
            return r.choice(VENUE_FR if lang == "fr" else VENUE_EN)
        if key == "langues":
            return r.choice(["anglais et espagnol", "arabe et anglais", "allemand", "italien et anglais",
                             "portugais", "anglais, allemand et néerlandais"])
        if key in ("contact", "contact_lc"):
            c = self.contact(lang)
            return c[:1].lower() + c[1:] if key == "contact_lc" and not c.startswith("DM") else c
        if key == "why":
            return r.choice(WHY_FR if lang == "fr" else WHY_EN)
        if key == "who":
            return r.choice(WHO_FR if lang == "fr" else WHO_EN)
        if key == "n":
            return r.choice(["2", "3", "4", "deux", "trois"] if lang == "fr" else ["2", "3", "4"])
        if key == "e":
            return r.choice(["", "e"])
        if key == "home":
            return r.choice(HOME_FR)
        if key == "ligne":
            return r.choice(LIGNE)
        if key == "hs":
            return r.choice(NOISE_HS)
        if key == "cible":
            return r.choice(CIBLE)
        if key == "hopital":
            return r.choice(HOPITAL)
        raise KeyError(f"no slot {key!r} for {lang}")

    def contact(self, lang):
        r = self.r
        if lang == "fr":
            return self.wpick([("DM ouverts.", 20), ("MP ouverts", 15), ("Écrivez-moi en DM", 15),
                               ("Envoyez-moi un MP", 10), ("DM", 10), ("Mes DM sont ouverts", 8),
                               ("Répondez à ce tweet", 5), (f"Tél : {self.phone('fr')}", 8),
                               (f"Appelez le {self.phone('fr')}", 4), (f"Contact : {self.email('fr')}", 5)])
        if lang == "en":
            return self.wpick([("DM me", 25), ("DMs open", 20), ("Message me", 15), ("Reply here", 5),
                               (f"Text {self.phone('en')}", 8), (f"Email {self.email('en')}", 5)])
        if lang == "de":
            return r.choice(["Schreibt mir eine DM", "DM offen", "PN an mich", f"Mail: {self.email('de')}"])
        if lang == "es":
            return r.choice(["Escribidme por MD", "MD abiertos", "Mandadme un privado", f"Correo: {self.email('es')}"])
        return r.choice(["Scrivetemi in DM", "DM aperti", "Mandatemi un messaggio privato", f"Mail: {self.email('it')}"])

    # ---- classes ----------------------------------------------------------------------------------------
    def offers(self):
        for text, hhmm in SEED_OFFERS:
            t = at(hhmm) + timedelta(seconds=self.r.randrange(60))
            self.emit("offer", "fr", text, t, self.author("fr", "x", fresh=1.0), exact_lang=True)
        originals = []
        for _ in range(ORIGINALS["offer"]):
            lang = self.lang_for("offer")
            text = self.fill(self.r.choice(OFFER[lang]), lang)
            if lang == "fr" and self.r.random() < 0.06:
                text = text.lower()
            p = self.emit("offer", lang, text, self.time_for("offer"), self.author(lang))
            originals.append(p)
        # The same author reposting an edited offer, or someone relaying it (new posts, near-duplicates).
        for p in self.r.sample(originals, 45):
            lang, t = p["_lang"], p["_t"]
            later = t + timedelta(minutes=self.r.randrange(15, 150))
            if later >= T_END:
                continue
            body = p["text"]
            if self.r.random() < 0.7:
                tpl = self.r.choice(OFFER_REPOST_FR if lang == "fr" else OFFER_REPOST_EN)
                if lang not in ("fr", "en"):
                    tpl = "{orig}"
                    body = body.replace("2", "1", 1) if "2" in body else body + " (!)"
                self.emit("offer", lang, tpl.format(orig=body), later, p["_author"])
            elif lang == "fr":
                self.emit("offer", lang, self.r.choice(OFFER_RELAY_FR).format(orig=body), later, self.author(lang))

    def requests(self):
        for _ in range(ORIGINALS["request"]):
            lang = self.lang_for("request")
            text = self.fill(self.r.choice(REQUEST[lang]), lang)
            self.emit("request", lang, text, self.time_for("request"), self.author(lang))

    def person(self, lang):
        sex = self.r.choice("mf")
        first = self.r.choice(FIRST[lang][sex])
        last = self.r.choice(LAST[lang])
        f = sex == "f"
        site_i = self.wpick(list(zip(range(len(SITES)), SITE_WEIGHTS)))
        key, local, start = SITES[site_i]
        rel_i = self.r.randrange(len(REL_FR[sex]))
        # Ages that fit the relation: a son is younger than the one looking for him, a father older.
        lo, hi = AGE_BY_REL.get(REL_EN[sex][rel_i % len(REL_EN[sex])].split()[-1], (18, 48))
        ctx = {"first": first, "name": f"{first} {last}", "age": str(self.r.randrange(lo, hi)),
               "site": SITE_TEXT[lang][key], "e": "e" if f else "", "E": "E" if f else ""}
        if lang == "fr":
            ctx.update({"il": "elle" if f else "il", "le": "la" if f else "le", "rel": REL_FR[sex][rel_i],
                        "sain": "saine" if f else "sain", "sauf": "sauve" if f else "sauf",
                        "heure": local, "desc": self.r.choice(DESC_FR)})
        else:
            ctx.update({"he": "she" if f else "he", "er": "sie" if f else "er", "rel": REL_EN[sex][rel_i % len(REL_EN[sex])],
                        "desc": self.r.choice(DESC_EN)})
            hm = local.replace("h", ":") + ("00" if local.endswith("h") else "")
            ctx["heure"] = {"en": "9:" + hm.split(":")[1] + "pm", "de": hm + " Uhr"}.get(lang, hm)
        return ctx, at(start), f"{ascii_fold(first).lower()}-{ascii_fold(last).lower().replace(' ', '-')}"

    def missing(self):
        originals = []
        for _ in range(ORIGINALS["missing"]):
            lang = self.lang_for("missing")
            ctx, start, slug = self.person(lang)
            earliest = max(start + timedelta(minutes=40), at("21:15"))
            t = self.time_for("missing")
            if t < earliest:
                t = self.time_in(earliest, earliest + timedelta(minutes=90))
            text = self.fill(self.r.choice(MISSING[lang]), lang, ctx)
            media = None
            if self.r.random() < 0.45:
                alt = {"fr": "Photo de {}", "en": "Photo of {}", "de": "Foto von {}", "es": "Foto de {}",
                       "it": "Foto di {}"}[lang].format(ctx["first"])
                media = [{"url": f"https://example.org/photos/{slug}-{self.r.randrange(100, 999)}.jpg",
                          "kind": "image", "description": alt}]
            p = self.emit("missing", lang, text, t, self.author(lang, fresh=0.9), media=media)
            p["_ctx"] = ctx
            originals.append(p)
        # Found/safe follow-ups by the same author, replying to the first post; some originals get deleted.
        for p in self.r.sample(originals, 34):
            lang, ctx = p["_lang"], p["_ctx"]
            later = p["_t"] + timedelta(minutes=self.r.randrange(40, 300))
            if later >= T_END:
                continue
            text = self.fill(self.r.choice(FOUND[lang]), lang, ctx)
            f = self.emit("missing", lang, text, later, p["_author"], reply_to=p["id"])
            if self.r.random() < 0.35:
                self.tombstone(p, f["_t"] + timedelta(minutes=self.r.randrange(2, 40)))
        # People telling everyone they are safe.
        for _ in range(12):
            lang = "fr" if self.r.random() < 0.8 else "en"
            ctx, start, _ = self.person(lang)
            text = self.fill(self.r.choice(SELF_SAFE[lang]), lang, ctx)
            t = self.time_in(max(start + timedelta(minutes=30), at("21:00")), at("02:30"))
            self.emit("missing", lang, text, t, self.author(lang))

    def supports(self):
        for _ in range(ORIGINALS["support"]):
            lang = self.lang_for("support")
            text = self.fill(self.r.choice(SUPPORT[lang]), lang)
            self.emit("support", lang, text, self.time_for("support"), self.author(lang, fresh=0.8))

    def infos(self):
        weights = [(i, w) for i, (_, _, _, w, _, _) in enumerate(INFO)]
        n_tpl = ORIGINALS["info"] // 4
        for _ in range(ORIGINALS["info"] - n_tpl):
            lang, s, e, _, who, text = INFO[self.wpick(weights)]
            t = self.time_in(at(s), at(e))
            if who == "any":
                a = self.author(lang)
            elif who == "prefecture" or self.r.random() < 0.7:
                a = self.official(lang, who)
            else:
                a = self.author(lang)
            # People copying the news add their own prefix ("URGENT", "BREAKING:"); official accounts don't.
            if (who != "prefecture" and a.get("source") != "x") or (who == "any" and self.r.random() < 0.4):
                text = self.variant(text, lang)
            self.emit("info", lang, text, t, a, exact_lang=(who != "any"))
        for _ in range(n_tpl):
            lang = "fr" if self.r.random() < 0.8 else "en"
            s, e, tpl = self.r.choice(INFO_TEMPLATES[lang])
            self.emit("info", lang, self.fill(tpl, lang), self.time_in(at(s), at(e)), self.author(lang))

    def variant(self, text, lang):
        """Small edits people make when they copy a piece of news."""
        pre = {"fr": ["URGENT ", "⚠️ ", "Info : ", "", "", "Confirmé : "], "en": ["BREAKING: ", "⚠️ ", "", ""],
               "de": ["EILMELDUNG: ", ""], "es": ["ÚLTIMA HORA: ", ""], "it": ["ULTIM'ORA: ", ""]}[lang]
        return self.r.choice(pre) + text

    def noises(self):
        for _ in range(ORIGINALS["noise"]):
            lang = self.lang_for("noise")
            s, e, tpl = self.r.choice(NOISE[lang])
            t = self.time_in(at(s), at(e)) if s else self.time_for("noise")
            text = self.fill(tpl, lang, {"lieu": self.r.choice(LIEU[lang])})
            p = self.emit("noise", lang, text, t, self.author(lang))
            if ("{hs}" in tpl) and self.r.random() < 0.06:  # spam removed a little later
                self.tombstone(p, t + timedelta(minutes=self.r.randrange(5, 120)))

    def retweets(self):
        for cls, n in RETWEETS.items():
            pool = [p for p in self.posts if p["_class"] == cls and p["source"] in ("x", "mastodon")
                    and "repost_of" not in p]
            # Some posts get shared a lot: the préfecture and a few missing-person posts most of all.
            weights = []
            for p in pool:
                w = 1.0
                if p["author"]["handle"] == PREFECTURE[0]:
                    w = 12.0
                elif p["author"]["handle"] in [h for l in OFFICIAL.values() for h, _ in l]:
                    w = 3.0
                elif cls == "missing" and p.get("media"):
                    w = 3.0
                weights.append((p, w))
            made = 0
            while made < n:
                orig = self.wpick(weights)
                later = orig["_t"] + timedelta(minutes=self.r.expovariate(1 / 30.0) + 0.5)
                if later >= T_END:
                    continue
                lang = orig["_lang"]
                a = self.author(lang if self.r.random() < 0.8 else self.r.choice(LANGS), orig["source"])
                if orig["source"] == "x":
                    text = f"RT @{orig['author']['handle']}: {orig['text']}"
                else:
                    text = orig["text"]  # a boost carries the original text
                self.emit(cls, lang, text, later.replace(microsecond=0), a, repost_of=orig["id"])
                made += 1

    def tombstone(self, post, when):
        if when >= T_END:
            when = T_END - timedelta(seconds=self.r.randrange(1, 600))
        if when <= post["_t"]:
            return
        self.tombstones.append({"v": 1, "kind": "tombstone", "id": post["id"], "source": post["source"],
                                "deleted_at": when.strftime("%Y-%m-%dT%H:%M:%SZ"), "_t": when})

    def offer_deletions(self):
        offers = [p for p in self.posts if p["_class"] == "offer" and "repost_of" not in p]
        for p in self.r.sample(offers, 5):  # "plus de place" — the host took the offer down
            self.tombstone(p, p["_t"] + timedelta(minutes=self.r.randrange(30, 240)))

    def run(self):
        self.offers()
        self.requests()
        self.missing()
        self.supports()
        self.infos()
        self.noises()
        self.offer_deletions()
        self.retweets()
        seen = set()
        for p in self.posts:
            assert p["id"] not in seen, p["id"]
            seen.add(p["id"])
        events = [(p["_t"], 0, p["id"], p) for p in self.posts]
        events += [(t["_t"], 1, t["id"], t) for t in self.tombstones]
        events.sort(key=lambda e: (e[0], e[1], e[2]))
        with open(OUT_JSONL, "w", encoding="utf-8") as out, open(OUT_LABELS, "w", encoding="utf-8") as lab:
            lab.write("id\texpected_class\n")
            for _, _, _, ev in events:
                clean = {k: v for k, v in ev.items() if not k.startswith("_")}
                out.write(json.dumps(clean, ensure_ascii=False) + "\n")
                if "_class" in ev:
                    lab.write(f"{ev['id']}\t{ev['_class']}\n")
        return events


def main():
    g = Gen()
    events = g.run()
    posts = [e[3] for e in events if "_class" in e[3]]
    from collections import Counter
    by_cls = Counter(p["_class"] for p in posts)
    by_lang = Counter(p["_lang"] for p in posts)
    by_src = Counter(p["source"] for p in posts)
    rts = sum(1 for p in posts if "repost_of" in p)
    print(f"{len(posts)} posts, {len(g.tombstones)} tombstones, {rts} reposts")
    print("class:", dict(sorted(by_cls.items())))
    print("lang:", dict(sorted(by_lang.items())))
    print("source:", dict(sorted(by_src.items())))
    table = Counter((p["_class"], p["_lang"]) for p in posts)
    print("| class | " + " | ".join(LANGS) + " | total |")
    for c in ("offer", "request", "missing", "support", "info", "noise"):
        print(f"| {c} | " + " | ".join(str(table[(c, l)]) for l in LANGS) + f" | {by_cls[c]} |")


if __name__ == "__main__":
    main()
