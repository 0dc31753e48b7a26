"""The risk phrases shipped with Schoolgate, by area, as Python data (the monitoring core reads no files).

A phrase's severity is what it means when a pupil types it (`phrases.GRADES` regrades it for an
audience): high, tell the DSL now: intent or method of suicide and self-harm, pro-eating-disorder
content, signs of grooming or sexual exploitation, a planned attack, a disclosure of abuse, sexual
content involving children; medium, the same day: risk that is not immediate (buying drugs or weapons,
hateful or extremist talk, being bullied); low, the weekly report: content a pupil should not be
looking for but which is no sign of harm to them (pornography, gambling, most drug curiosity).

How the entries are chosen:

- Phrases say intent, method or exposure, not a topic: "commit suicide", "suicide methods", not
  "suicide" alone, which is in film titles ("Suicide Squad"), news, history and help searches
  ("suicide prevention"); "how to make a bomb", not "bomb" ("bath bomb", "photobomb", "bomb
  calorimeter"); "holocaust never happened", not "holocaust" (history lessons, Holocaust Memorial
  Day); "overdose to die", not "overdose" ("overdose of vitamin C symptoms" is a health question).
  tests/monitoring/test_library.py holds the table of look-alikes that must not match, with the
  reasons for the debatable ones.
- One phrase per meaning: spellings go to SPELLINGS (applied to every phrase containing the word), and
  repeated letters, letters for numbers, spaces and slips are the matcher's job.
- Nothing sexually explicit beyond what is needed to recognise a search for it.
- High-severity suicide and self-harm phrases also in Polish, Romanian, Urdu, Bengali and Arabic, five
  of the languages most spoken at home by UK pupils, in their own script and, for Urdu, Bengali
  and Arabic, as children type them in Latin letters (Roman Urdu, Banglish, Arabizi, which writes some
  letters as digits: "7" for ح, "2" for ء; the digits are read the same way in the text and here, so
  the phrase matches as typed).
"""

from __future__ import annotations

from typing import Final

from schoolgate.monitoring.phrases import Area, Phrase, Severity

__all__ = ["PHRASES", "SPELLINGS"]

H, M, L = Severity.HIGH, Severity.MEDIUM, Severity.LOW


def _area(area: Area, language: str, *entries: tuple[str, Severity]) -> tuple[Phrase, ...]:
    return tuple(Phrase(text, area, severity, language) for text, severity in entries)


_SUICIDE = _area(
    Area.SUICIDE,
    "en",
    ("kill myself", H),
    ("how to kill myself", H),
    ("i want to kill myself", H),
    ("i want to die", H),
    ("want to die", H),
    ("killing myself", H),
    ("how to kill yourself", H),
    ("ways to kill yourself", H),
    ("nobody would care if i died", H),
    ("i want to end it", M),
    ("feel like dying", M),
    ("i hate my life", M),
    ("i wish i was dead", H),
    ("i don't want to live", H),
    ("i don't want to be alive", H),
    ("end my life", H),
    ("end it all", H),
    ("take my own life", H),
    ("commit suicide", H),
    ("suicide methods", H),
    ("how to commit suicide", H),
    ("painless way to die", H),
    ("painless suicide", H),
    ("best way to die", H),
    ("easiest way to die", H),
    ("quickest way to die", H),
    ("hang myself", H),
    ("how to hang myself", H),
    ("suicide note", H),
    ("better off dead", H),
    ("better off without me", H),
    ("no reason to live", H),
    ("how many pills to die", H),
    ("how many paracetamol to die", H),
    ("lethal dose", M),
    ("overdose to die", H),
    ("jump off a bridge", H),
    ("i feel suicidal", H),
    ("suicidal thoughts", M),
    ("suicidal", M),
    ("unalive myself", H),
    ("unaliving myself", H),
    ("unalive", M),
    ("sewerslide", M),
    ("kms", M),
    ("nobody would miss me", H),
)

_SELF_HARM = _area(
    Area.SELF_HARM,
    "en",
    ("cut myself", H),
    ("cutting myself", H),
    ("how to cut myself", H),
    ("hurt myself", H),
    ("how to hurt myself", H),
    ("how to hurt yourself", H),
    ("burn myself", M),
    ("burning myself", M),
    ("cut my wrists", H),
    ("slit my wrists", H),
    ("self harm", M),
    ("self harm tips", H),
    ("how to self harm", H),
    ("hide self harm scars", H),
    ("how to hide cuts", H),
    ("punish myself", M),
    ("i deserve pain", M),
    ("scratching myself", M),
    ("hitting myself", M),
    # eating disorders
    ("starve myself", H),
    ("how to starve myself", H),
    ("how to stop eating", H),
    ("pro ana", H),
    ("proana", H),
    ("pro mia", H),
    ("ana tips", H),
    ("mia tips", H),
    ("thinspo", H),
    ("thinspiration", H),
    ("bonespo", H),
    ("meanspo", H),
    ("purge after eating", H),
    ("purging", M),
    ("make myself sick", H),
    ("make myself throw up", H),
    ("throw up after eating", H),
    ("laxatives to lose weight", H),
    ("hide not eating", H),
    ("eating disorder tips", H),
    ("i hate my body", M),
)

_GROOMING = _area(
    Area.GROOMING,
    "en",
    ("send nudes", H),
    ("send me nudes", H),
    ("sending nudes", H),
    ("he asked for nudes", H),
    ("he has my nudes", H),
    ("leaked nudes", H),
    ("send me a pic of you", M),
    ("don't tell your parents", H),
    ("don't tell your mum", H),
    ("our little secret", H),
    ("keep it our secret", H),
    ("delete our chats", H),
    ("meet up with older guy", H),
    ("meet up with an older man", H),
    ("older boyfriend", M),
    ("he wants to meet me", H),
    ("met him online", M),
    ("someone is blackmailing me", H),
    ("sextortion", H),
    ("sugar daddy", M),
    ("age is just a number", M),
    ("onlyfans under 18", H),
    ("join county lines", H),
    ("run drugs for money", H),
)

_SEXUAL = _area(
    Area.SEXUAL,
    "en",
    ("porn", L),
    ("free porn", L),
    ("porn videos", L),
    ("pornhub", L),
    ("xxx videos", L),
    ("sex videos", L),
    ("nude pics", L),
    ("naked girls", L),
    ("naked boys", L),
    ("onlyfans leaks", L),
    ("hentai", L),
    ("sexting", M),
    ("child porn", H),
    ("cp links", H),
    ("underage nudes", H),
    ("teen nudes", H),
)

_BULLYING = _area(
    Area.BULLYING,
    "en",
    ("kill yourself", H),
    ("kys", H),
    ("neck yourself", H),
    ("you should die", H),
    ("go drink bleach", H),
    ("i will beat you up", M),
    ("nobody likes you", M),
    ("everyone hates you", M),
    ("everyone hates me", M),
    ("nobody likes me", M),
    ("i'm being bullied", M),
    ("they keep bullying me", M),
    ("how to get revenge on a bully", M),
    ("how to make someone cry", L),
    ("you're so ugly", L),
    ("fat and ugly", L),
)

_EXTREMISM = _area(
    Area.EXTREMISM,
    "en",
    ("how to make a bomb", H),
    ("make a bomb", H),
    ("pipe bomb", H),
    ("bomb making", H),
    ("join isis", H),
    ("how to become a jihadi", H),
    ("kill the infidels", H),
    ("lone wolf attack", H),
    ("day of the rope", H),
    ("christchurch shooter manifesto", H),
    ("atomwaffen", H),
    ("sonnenkrieg division", H),
    ("join the kkk", H),
    ("join national action", H),
    ("white genocide", M),
    ("great replacement", M),
    ("race war", M),
    ("accelerationism", M),
    ("blood and soil", M),
    ("sieg heil", M),
    ("heil hitler", M),
)

_HATE = _area(
    Area.HATE,
    "en",
    ("gas the jews", H),
    ("kill all jews", H),
    ("kill all muslims", H),
    ("kill all gays", H),
    ("gays should die", H),
    ("holocaust never happened", M),
    ("holocaust is a hoax", M),
    ("holocaust was fake", M),
    ("hitler was right", M),
    ("jews control the world", M),
    ("muslims are terrorists", M),
    ("go back to your country", M),
    ("fourteen words", M),
    ("white pride", L),
    ("paki", M),
    ("nigger", M),
    ("faggot", M),
    ("tranny", M),
    ("kike", M),
    ("retard", L),
)

_WEAPONS = _area(
    Area.WEAPONS,
    "en",
    ("bring a knife to school", H),
    ("carry a knife to school", H),
    ("bring a gun to school", H),
    ("shoot up my school", H),
    ("shoot up the school", H),
    ("how to make a gun", H),
    ("3d printed gun", H),
    ("molotov cocktail", H),
    ("how to make a molotov", H),
    ("school shooting", M),
    ("buy a gun", M),
    ("ghost gun", M),
    ("zombie knife", M),
    ("flick knife", M),
    ("butterfly knife", M),
    ("knuckle duster", M),
    ("machete for sale", M),
    ("pepper spray", L),
    ("taser for sale", L),
)

_VIOLENCE = _area(
    Area.VIOLENCE,
    "en",
    ("how to kill someone", H),
    ("how to stab someone", H),
    ("how to poison someone", H),
    ("how to strangle someone", H),
    ("i want to kill him", H),
    ("i want to kill her", H),
    ("my dad hits me", H),
    ("my mum hits me", H),
    ("he hits me", H),
    ("scared to go home", H),
    ("acid attack", M),
    ("how to knock someone out", M),
    ("beat someone up", M),
    ("happy slapping", M),
    ("gore videos", M),
    ("beheading video", M),
    ("execution video", M),
    ("fight videos", L),
)

_DRUGS = _area(
    Area.DRUGS,
    "en",
    ("buy weed", M),
    ("weed near me", M),
    ("buy cocaine", M),
    ("buy coke", M),
    ("buy mdma", M),
    ("buy xanax", M),
    ("drug dealer near me", M),
    ("how to sell drugs", M),
    ("how to make meth", M),
    ("ways to get high", M),
    ("get high at school", M),
    ("how to smoke weed", L),
    ("hide weed from parents", L),
    ("thc vape", L),
    ("thc edibles", L),
    ("nitrous oxide balloons", L),
    ("magic mushrooms", L),
    ("ketamine", L),
    ("lean drink recipe", L),
    ("spice drug", L),
)

_GAMBLING = _area(
    Area.GAMBLING,
    "en",
    ("online casino", L),
    ("casino online", L),
    ("betting tips", L),
    ("betting sites", L),
    ("sports betting", L),
    ("bet365", L),
    ("skybet", L),
    ("paddy power", L),
    ("free spins", L),
    ("online slots", L),
    ("roulette online", L),
    ("poker online", L),
    ("how to win at blackjack", L),
    ("underage gambling", L),
    ("bookies near me", L),
)

# High-severity suicide and self-harm phrases in the languages most spoken at home by UK pupils.
_POLISH = (
    *_area(
        Area.SUICIDE,
        "pl",
        ("chcę się zabić", H),  # I want to kill myself
        ("zabiję się", H),  # I will kill myself
        ("jak się zabić", H),  # how to kill oneself
        ("chcę umrzeć", H),  # I want to die
        ("nie chcę żyć", H),  # I don't want to live
        ("popełnić samobójstwo", H),  # to commit suicide
        ("jak popełnić samobójstwo", H),  # how to commit suicide
        ("myśli samobójcze", H),  # suicidal thoughts
        ("powiesić się", H),  # to hang oneself
    ),
    *_area(
        Area.SELF_HARM,
        "pl",
        ("samookaleczenie", H),  # self-harm
        ("tnę się", H),  # I cut myself
        ("jak się ciąć", H),  # how to cut oneself
    ),
)

_ROMANIAN = (
    *_area(
        Area.SUICIDE,
        "ro",
        ("vreau să mor", H),  # I want to die
        ("vreau să mă sinucid", H),  # I want to kill myself
        ("cum să mă sinucid", H),  # how to kill myself
        ("vreau să mă omor", H),  # I want to kill myself (colloquial)
        ("nu mai vreau să trăiesc", H),  # I don't want to live any more
        ("cum să te sinucizi", H),  # how to kill yourself
        ("cum să mă spânzur", H),  # how to hang myself
    ),
    *_area(
        Area.SELF_HARM,
        "ro",
        ("autovătămare", H),  # self-harm
        ("cum să mă tai", H),  # how to cut myself
    ),
)

_URDU = (
    *_area(
        Area.SUICIDE,
        "ur",
        ("خودکشی کیسے کریں", H),  # how to commit suicide
        ("khudkushi kaise karen", H),
        ("خودکشی کرنا", H),  # to commit suicide
        ("khudkushi karna", H),
        ("میں مرنا چاہتا ہوں", H),  # I want to die (said by a boy)
        ("main marna chahta hoon", H),
        ("میں مرنا چاہتی ہوں", H),  # I want to die (said by a girl)
        ("main marna chahti hoon", H),
        ("جینا نہیں چاہتا", H),  # (I) don't want to live
        ("jeena nahi chahta", H),
        ("جینا نہیں چاہتی", H),
        ("jeena nahi chahti", H),
        ("زندگی ختم کرنا", H),  # to end (my) life
        ("zindagi khatam karna", H),
        ("خود کو مارنا", H),  # to kill oneself
        ("khud ko maarna", H),
    ),
    *_area(
        Area.SELF_HARM,
        "ur",
        ("خود کو نقصان پہنچانا", H),  # to harm oneself
        ("khud ko nuqsan pohanchana", H),
    ),
)

_BENGALI = (
    *_area(
        Area.SUICIDE,
        "bn",
        ("আমি মরতে চাই", H),  # I want to die
        ("ami morte chai", H),
        ("আত্মহত্যা করতে চাই", H),  # (I) want to commit suicide
        ("attohotta korte chai", H),
        ("কিভাবে আত্মহত্যা করব", H),  # how do I commit suicide
        ("kivabe attohotta korbo", H),
        ("আমি বাঁচতে চাই না", H),  # I don't want to live
        ("ami bachte chai na", H),
        ("নিজেকে মেরে ফেলব", H),  # I will kill myself
        ("nijeke mere felbo", H),
    ),
    *_area(
        Area.SELF_HARM,
        "bn",
        ("নিজের ক্ষতি করা", H),  # harming oneself
        ("nijer khoti kora", H),
    ),
)

_ARABIC = (
    *_area(
        Area.SUICIDE,
        "ar",
        ("أريد أن أموت", H),  # I want to die
        ("ureed an amoot", H),
        ("أريد أن أنتحر", H),  # I want to commit suicide
        ("areed an antahir", H),
        ("كيف أنتحر", H),  # how do I commit suicide
        ("kaif antahir", H),
        ("طريقة انتحار", H),  # a way to commit suicide
        ("اقتل نفسي", H),  # kill myself
        ("aqtul nafsi", H),
        ("لا أريد أن أعيش", H),  # I don't want to live
        ("بدي موت", H),  # I want to die (Levantine)
        ("bdi moot", H),
        ("بدي اقتل حالي", H),  # I want to kill myself (Levantine)
        ("bdi a2tol 7ali", H),
    ),
    *_area(
        Area.SELF_HARM,
        "ar",
        ("إيذاء النفس", H),  # self-harm
    ),
)

PHRASES: Final[tuple[Phrase, ...]] = (
    *_SUICIDE,
    *_SELF_HARM,
    *_GROOMING,
    *_SEXUAL,
    *_BULLYING,
    *_EXTREMISM,
    *_HATE,
    *_WEAPONS,
    *_VIOLENCE,
    *_DRUGS,
    *_GAMBLING,
    *_POLISH,
    *_ROMANIAN,
    *_URDU,
    *_BENGALI,
    *_ARABIC,
)
"""Every shipped phrase."""

SPELLINGS: Final[dict[str, tuple[str, ...]]] = {
    # English: chat spellings and the misspellings children make most. An empty spelling means the
    # word is often left out ("how 2 kill myself": "2" is a number, not a letter).
    "myself": ("myslef", "meself", "miself", "mself"),
    "yourself": ("urself", "ur self", "yourslef", "yoself", "yaself"),
    "you": ("u", "ya", "yu"),
    "your": ("ur", "yor", "yer"),
    "you're": ("ur", "your", "you are", "u r"),
    "are": ("r",),
    "to": ("",),
    "want to": ("wanna", "wana", "want 2"),
    "want": ("wnt",),  # not "wont": "i wont die" is not "i want to die"
    "i'm": ("i am", "i m"),
    "don't": ("dnt", "do not"),
    "how to": ("how do i", "how do you", "how can i"),
    "suicide": ("sucide", "suicid", "suiside", "suecide", "suiscide"),
    "suicidal": ("sucidal", "suisidal"),
    "nudes": ("nudez", "noodz", "noods"),
    "pics": ("pix", "pictures", "photos"),
    "someone": ("some one", "somebody", "sum1"),
    "self harm": ("selfharm", "slef harm", "self harming", "selfharming"),
    "end my life": ("ending my life", "end my own life"),
    "my own": ("my",),
    "paracetamol": ("paracetemol", "paracetamole"),
    # Roman Urdu (and Hindi, written the same way)
    "main": ("mein", "mai", "me", "mn"),
    "hoon": ("hun", "hu"),
    "chahta": ("chahata", "chata"),
    "chahti": ("chahati", "chati", "chahtee"),
    "nahi": ("nahin", "nai", "nhi"),
    "khudkushi": ("khudkhushi", "khudkashi", "khudkushee", "khud kushi"),
    "kaise": ("kese", "kaisay", "kesay", "kaese", "kaisey"),
    "karen": ("karein", "karun", "kare", "krein"),
    "jeena": ("jina",),
    "zindagi": ("zindgi", "zindagee"),
    "khatam": ("khatm", "khtm"),
    "karna": ("krna",),
    "nuqsan": ("nuksan", "nukhsan"),
    "pohanchana": ("pahunchana", "pohnchana", "pohchana"),
    # Banglish
    "attohotta": ("atmohotta", "attohatta", "atmahatya", "attohotya"),
    "kivabe": ("kibhabe", "kemne"),
    "morte": ("morthe", "mort"),
    "bachte": ("bacte",),
    "korbo": ("krbo",),
    # Arabizi
    "moot": ("mout", "mut"),
    "bdi": ("biddi", "badi", "bede", "ana bdi"),
    "ureed": ("areed", "abi", "ana areed"),
    "antahir": ("ente7er", "anta7ir", "antaher"),
    "kaif": ("kayf", "kef", "keef"),
    "nafsi": ("nafse", "nafsy"),
}
"""Other ways each word (or few words) is written; a phrase with the word also matches with any of them.
Read as the text is (case, accents and repeats do not count), so only real differences are listed."""
