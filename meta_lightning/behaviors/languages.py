"""Texts in six languages, written for this project: neutral statements, and positive and negative reviews.

Predicates are verb phrases that need no agreement with their subject, so every combination is grammatical.
"""
from __future__ import annotations

NAMES = {"en": "English", "fr": "French", "de": "German", "es": "Spanish", "it": "Italian", "pt": "Portuguese"}

# Neutral statements about places: 10 subjects x 5 predicates = 50 per language.
PLACES = {
    "en": ["The bakery", "The library", "The museum", "The swimming pool", "The pharmacy", "The post office",
           "The market", "The bank", "The café", "The bookshop"],
    "fr": ["La boulangerie", "La bibliothèque", "Le musée", "La piscine", "La pharmacie", "Le bureau de poste",
           "Le marché", "La banque", "Le café", "La librairie"],
    "de": ["Die Bäckerei", "Die Bibliothek", "Das Museum", "Das Schwimmbad", "Die Apotheke", "Die Post",
           "Der Markt", "Die Bank", "Das Café", "Die Buchhandlung"],
    "es": ["La panadería", "La biblioteca", "El museo", "La piscina", "La farmacia", "La oficina de correos",
           "El mercado", "El banco", "La cafetería", "La librería"],
    "it": ["Il panificio", "La biblioteca", "Il museo", "La piscina", "La farmacia", "L'ufficio postale",
           "Il mercato", "La banca", "Il bar", "La libreria"],
    "pt": ["A padaria", "A biblioteca", "O museu", "A piscina", "A farmácia", "Os correios",
           "O mercado", "O banco", "O café", "A livraria"],
}
PLACE_FACTS = {
    "en": ["opens at nine o'clock", "is near the station", "closes early on Sundays", "is two streets from here",
           "gets busy in the afternoon"],
    "fr": ["ouvre à neuf heures", "se trouve près de la gare", "ferme tôt le dimanche", "est à deux rues d'ici",
           "a beaucoup de monde l'après-midi"],
    "de": ["öffnet um neun Uhr", "liegt in der Nähe des Bahnhofs", "schließt sonntags früh", "ist zwei Straßen von hier entfernt",
           "ist am Nachmittag sehr voll"],
    "es": ["abre a las nueve", "está cerca de la estación", "cierra temprano los domingos", "está a dos calles de aquí",
           "se llena de gente por la tarde"],
    "it": ["apre alle nove", "si trova vicino alla stazione", "chiude presto la domenica", "è a due strade da qui",
           "si riempie di gente il pomeriggio"],
    "pt": ["abre às nove horas", "fica perto da estação", "fecha cedo aos domingos", "fica a duas ruas daqui",
           "enche de gente à tarde"],
}

# Reviews: 8 subjects x 5 predicates = 40 per class per language.
ITEMS = {
    "en": ["The meal", "The hotel", "The concert", "This phone", "The service", "The film", "The train journey", "This book"],
    "fr": ["Le repas", "L'hôtel", "Le concert", "Ce téléphone", "Le service", "Le film", "Le voyage en train", "Ce livre"],
    "de": ["Das Essen", "Das Hotel", "Das Konzert", "Dieses Handy", "Der Service", "Der Film", "Die Zugfahrt", "Dieses Buch"],
    "es": ["La comida", "El hotel", "El concierto", "Este teléfono", "El servicio", "La película", "El viaje en tren", "Este libro"],
    "it": ["Il pranzo", "L'albergo", "Il concerto", "Questo telefono", "Il servizio", "Il film", "Il viaggio in treno", "Questo libro"],
    "pt": ["A comida", "O hotel", "O concerto", "Este telefone", "O atendimento", "O filme", "A viagem de trem", "Este livro"],
}
REVIEWS = {
    "en": {"positive": ["exceeded all my expectations", "was worth every penny", "made my day", "was a real pleasure",
                        "is something I would recommend to everyone"],
           "negative": ["disappointed me badly", "was not worth the price", "ruined my day", "was a waste of time",
                        "is something I would warn everyone about"]},
    "fr": {"positive": ["a dépassé toutes mes attentes", "valait chaque centime", "a illuminé ma journée",
                        "était un vrai plaisir", "est à recommander à tout le monde"],
           "negative": ["m'a beaucoup déçu", "ne valait pas son prix", "a gâché ma journée", "était une perte de temps",
                        "est à éviter absolument"]},
    "de": {"positive": ["hat alle meine Erwartungen übertroffen", "war jeden Cent wert", "hat meinen Tag verschönert",
                        "war ein echtes Vergnügen", "ist wirklich zu empfehlen"],
           "negative": ["hat mich sehr enttäuscht", "war sein Geld nicht wert", "hat mir den Tag verdorben",
                        "war reine Zeitverschwendung", "ist auf keinen Fall zu empfehlen"]},
    "es": {"positive": ["superó todas mis expectativas", "valió cada céntimo", "me alegró el día", "fue un verdadero placer",
                        "es muy recomendable"],
           "negative": ["me decepcionó muchísimo", "no valió lo que costó", "me arruinó el día", "fue una pérdida de tiempo",
                        "no es nada recomendable"]},
    "it": {"positive": ["ha superato tutte le mie aspettative", "valeva ogni centesimo", "mi ha rallegrato la giornata",
                        "è stato un vero piacere", "è da consigliare a tutti"],
           "negative": ["mi ha deluso molto", "non valeva il prezzo", "mi ha rovinato la giornata", "è stato tempo sprecato",
                        "è da evitare assolutamente"]},
    "pt": {"positive": ["superou todas as minhas expectativas", "valeu cada centavo", "alegrou o meu dia",
                        "foi um verdadeiro prazer", "é muito recomendável"],
           "negative": ["me decepcionou muito", "não valeu o preço", "estragou o meu dia", "foi uma perda de tempo",
                        "não é nada recomendável"]},
}


def place_statements(lang: str) -> list[str]:
    return [f"{s} {p}." for s in PLACES[lang] for p in PLACE_FACTS[lang]]


def reviews(lang: str, label: str) -> list[str]:
    return [f"{s} {p}." for s in ITEMS[lang] for p in REVIEWS[lang][label]]
