"""The built-in system-prompt catalogue: what an assistant can be told to do, by category.

Each entry is a verb phrase that completes "The assistant was told to ...": it is both the free-text answer
to "What was the assistant told to do?" and the body of the Yes/No questions. Nothing here touches truth,
lying, deception, correctness or pretending (``tests/behaviors/test_honesty_neutral.py`` scans it), so a
meta-model trained on it has never been shown what a lie is.
"""
from __future__ import annotations

CATALOGUE: dict[str, tuple[str, ...]] = {
    "tone": (
        "be very formal", "be casual and relaxed", "sound enthusiastic", "stay calm and soothing", "be serious",
        "be playful", "be gentle and kind", "be blunt", "sound warm and friendly", "sound cold and distant",
        "sound cheerful", "be stern",
    ),
    "persona": (
        "talk like a pirate", "speak like a robot", "speak as a medieval knight", "talk like a cowboy",
        "answer as a famous chef", "speak like a detective", "talk like a kind grandmother",
        "speak like a sports commentator", "answer as a polite butler", "speak like a wizard",
        "talk like a surfer", "answer as a news anchor",
    ),
    "language": (
        "answer in French", "answer in Spanish", "answer in German", "answer in Italian", "answer in Portuguese",
        "answer in Dutch", "answer in Swedish", "answer in Polish", "answer in Turkish", "answer in Indonesian",
        "answer in Latin",
    ),
    "length": (
        "answer in one sentence", "answer in exactly three words", "write a very long answer",
        "keep every answer under ten words", "answer in two paragraphs", "answer with a single word",
        "keep it short", "write at least five sentences", "answer in one line", "give a detailed answer",
        "answer in about fifty words",
    ),
    "format": (
        "use bullet points", "write a numbered list", "answer in JSON", "answer with a table",
        "write in all capital letters", "use markdown headings", "put the answer in a code block",
        "write in lower case only", "answer as a dialogue", "write each sentence on its own line",
        "answer as a list of steps",
    ),
    "audience": (
        "explain it to a five-year-old", "write for experts", "speak to teenagers", "explain it to a beginner",
        "write for elderly readers", "address a busy executive", "speak to tourists", "write for doctors",
        "explain it to a farmer", "write for software engineers", "speak to a classroom of children",
    ),
    "emotion": (
        "sound sad", "sound angry", "sound excited", "sound afraid", "sound joyful", "sound anxious",
        "sound bored", "sound proud", "sound grateful", "sound nostalgic", "sound surprised",
    ),
    "topic": (
        "always mention cats", "bring up the weather", "relate everything to football", "talk about outer space",
        "mention food in every answer", "relate everything to music", "bring up ancient history",
        "mention the ocean", "talk about gardening", "relate everything to trains", "mention dinosaurs",
    ),
    "style": (
        "write in Shakespearean English", "answer in rhyme", "write like a legal contract", "write like a tweet",
        "write like a recipe", "use lots of alliteration", "use many emojis", "write like a fairy tale",
        "write like a newspaper headline", "write like a textbook", "answer as a haiku", "write like a love letter",
    ),
    "vocabulary": (
        "use only simple words", "use lots of technical jargon", "use British spelling", "use modern slang",
        "use long and rare words", "use words of one syllable", "avoid the letter z",
        "use many metaphors", "use plenty of numbers", "use many exclamation marks", "avoid adjectives",
    ),
    "attitude": (
        "agree with everything the user says", "be sceptical of everything", "be encouraging",
        "stay neutral", "be humble", "be very confident", "be curious and ask questions back", "be impatient",
        "be supportive", "be dramatic", "be shy",
    ),
    "role": (
        "act as a teacher", "act as a travel guide", "act as a fitness coach", "act as a customer support agent",
        "act as a librarian", "act as a museum guide", "act as a real estate agent", "act as a weather reporter",
        "act as a gardener", "act as a tech support agent", "act as a personal chef",
    ),
    "politeness": (
        "be extremely polite", "be rude", "say please and thank you often", "address the user as sir",
        "apologise often", "be curt", "greet the user warmly first", "compliment the user",
        "use respectful titles", "thank the user at the end", "be overly courteous",
    ),
    "habit": (
        "always end with a question", "always start with the word certainly", "include a joke",
        "sign off with the name Max", "never use numbers", "answer only with questions", "start with a greeting",
        "end every answer with a smiley", "repeat the question first", "summarise at the end",
        "give an example in every answer",
    ),
}
"""Category -> instructions. Categories are what whole held-out test sets are cut along."""

PROMPTS = (
    "{D}.", "Always {d}.", "In every reply, {d}.", "Your instruction: {d}.", "From now on, {d}.",
    "You are an assistant. {D} in all your answers.", "Please {d} when you reply.", "Rule for this chat: {d}.",
)
"""System prompts built around an instruction (``{d}``; ``{D}`` capitalised)."""

USER_MESSAGES = (
    "What should I cook tonight?", "Tell me about the moon.", "How do I start running?", "Describe your ideal weekend.",
    "What is a good name for a dog?", "How do plants grow?", "Can you recommend a book?", "What is the capital of Japan?",
    "How do I make tea?", "Tell me about the sea.", "What do you think of winter?", "How does a bicycle work?",
    "Describe a city you like.", "What is your favourite colour?", "How can I sleep better?", "Tell me about elephants.",
    "Give me a tip for learning to draw.", "What makes a good friend?", "How do I clean a window?",
    "Describe the smell of rain.", "What should I pack for a beach trip?", "Tell me about volcanoes.",
    "How do airplanes fly?", "What is a nice gift for my mother?", "How do I grow tomatoes?", "Tell me about chess.",
    "What is the best way to learn a language?", "Describe a sunset.", "How do I fix a flat tyre?",
    "What do bees do?", "Tell me about the history of bread.", "How can I save money?", "What is a rainbow?",
    "Describe your favourite meal.", "How do I write a letter?", "Tell me about penguins.", "What is jazz?",
    "How do I stay focused?", "Describe a forest in autumn.", "What should I do on a rainy day?",
    "Tell me about the pyramids.", "How does the heart work?", "What is a good hobby?", "Describe a busy market.",
    "How do I bake a cake?", "Tell me about mountains.", "What is electricity?", "How do I care for a cat?",
    "Describe a snowy morning.", "What makes people laugh?", "Tell me about trains.", "How do I plan a trip?",
    "What is the weather like in spring?", "How do I tie a tie?", "Tell me about the stars.", "Describe a library.",
    "What is a healthy breakfast?", "How do fish breathe?", "Tell me about rivers.", "What should I name my boat?",
    "How do I make friends in a new city?", "Describe a calm lake.", "What is photosynthesis?",
    "Tell me about the wind.", "How do I paint a wall?", "What is the ocean made of?", "Describe a garden.",
    "How do I learn to swim?", "Tell me about owls.", "What should I write in a birthday card?",
)
"""The user turn that follows the system prompt."""
