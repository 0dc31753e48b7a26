"""The suggested text of each audience's agreement: what "Write a new version" starts from when an
audience has none yet, and what the demo school uses.

Written from the school policies (online safety and social media, acceptable internet use, the
filtering and monitoring policy, mobile devices), in the words of the reader: a child in Reception
follows the Key Stage 1 one read aloud; each line is something they will do. A school changes them to
its own before saving.
"""

# ruff: noqa: E501  (the texts are prose, one promise to a line)
from __future__ import annotations

from schoolgate.web.agreements.choices import Audience

KS1 = """\
I will ask a grown-up before I use a computer or a tablet.
I will only go on the websites my teacher shows me.
I will tell a grown-up straight away if I see something that makes me feel sad, worried or scared.
I will be kind to other people when I am online.
I will keep my name, my address and my password a secret online.
I will look after the school's computers and tablets.
I know that my teachers can see what I do on the school's computers."""

KS2 = """\
I will only use the school's computers and tablets when a member of staff says I may, and for my school work.
I will keep my username and password to myself, and I will not use anyone else's.
I will only visit websites and apps my teacher has allowed, and I will not try to get round the school's filter.
If I see anything that upsets or worries me, I will turn off the screen and tell a member of staff straight away.
I will be polite and kind in everything I write or send. I will not send or share anything unkind, even as a joke.
I will never give out my full name, address, phone number, school or photos of myself to people online.
I will not arrange to meet anyone I have only met online.
I will not take photos or videos of other people without asking them and my teacher.
I will hand my mobile phone in to the school office at the start of the day.
I understand that the school can see everything I do on its computers and network, and that my parents or carers
may be told if I break these rules."""

SECONDARY = """\
I will use the school's computers, network and internet for my learning, and only as my teachers allow.
I will keep my login and password private, log off when I leave a computer, and never use someone else's account.
I will not try to get round the school's filtering or monitoring (for example with a VPN, a proxy or another
person's login), and I will report any website that should be blocked.
I will treat everyone online with respect. I will not bully, threaten, or share anything hateful, violent or
sexual, and I will not forward anything like it that is sent to me.
I will not share personal information about myself or anyone else, and I will think before I post.
I will not take, share or publish photos, video or recordings of pupils or staff without their permission.
I will not use social media or chat sites in school unless a member of staff has set up the activity.
I will follow the school's rules for mobile phones and my own devices, and I will not connect them to the school
network unless the school has allowed it.
If I see or receive something that worries me, or I am worried about someone, I will tell a member of staff.
I understand that the school monitors the use of its computers, network and internet, including messages sent
through them, that this is not private, and that breaking these rules may lead to sanctions and to my parents or
carers being told."""

STAFF = """\
I will use the school's devices, network, e-mail and internet responsibly and for my work, and I will model safe
and respectful use of technology to pupils.
I will keep my username and password private, lock or log off a device I leave, and never let anyone else use
my login.
I will use my school e-mail address for all professional communication, and I will not contact pupils or parents
through my personal accounts, phone or social media.
I will not take photos or videos of pupils on personal devices, and I will publish images only as the school's
consent records allow.
I will not try to get round the filtering or monitoring. I will ask the online safety coordinator for any change
to the filtering, and report any site that should be blocked.
I will check websites, videos and apps before I use them with pupils, and remind pupils of their agreement
before they go online.
I will keep personal data about pupils and staff secure, and take it off site only on school devices.
I will report any online safety concern about a pupil to the DSL, and any incident to the online safety
coordinator, the same day.
I will follow the school's rules for mobile phones and personal devices, and not use my phone while I am teaching.
I understand that the school monitors its devices, network and e-mail, on site and off, and that my use is not
private. I understand that breaking this agreement may lead to disciplinary action."""

VOLUNTEERS = """\
I will use the school's devices, network and internet only for what I am in school to do.
I will keep any login I am given to myself, and not let anyone else use it.
I will not contact pupils online, and I will not share my personal contact details or social media with them.
I will not take photos or videos of pupils on my own devices, or share or publish any.
I will not try to get round the school's filter, and I will tell the member of staff responsible for me about
anything I see that worries me.
I will keep anything I learn about pupils and their families confidential.
I understand that the school monitors the use of its devices, network and internet, and that my use is not
private."""

VISITORS = """\
I will use the school's network and internet only for the purpose of my visit, and only for as long as my
access lasts.
I will keep the login I am given to myself.
I will not take photos or videos of pupils, and I will not contact pupils online.
I will not try to get round the school's filter, and I will not look at or share anything unsuitable for a
school.
I will tell the member of staff responsible for me about anything I see that worries me.
I understand that the school's network and internet are filtered and monitored, and that my use is recorded."""

PARENTS = """\
I have read my child's agreement with them, and I will help them keep to it at home as well as at school.
I understand that the school filters and monitors the internet in school, and teaches my child to stay safe
online.
I will not take photos or videos of other people's children at school events to share online, and I will not
post comments about pupils or staff on social media.
I will use the school's office or e-mail addresses, not social media, to raise any concern with the school.
I will tell the school if I am worried about anything my child sees or is sent online.
I understand that the school may contact me if my child breaks their agreement."""


def _unwrap(text: str) -> str:
    """One paragraph per promise, a blank line between (the agreement page at the proxy and Schoolgate's
    pages part paragraphs on blank lines, `schoolgate.gateways.blockpage.agreement.paragraphs`): a line
    above that starts in lower case goes on from the one before."""
    out: list[str] = []
    for line in text.splitlines():
        if out and line[:1].islower():
            out[-1] += " " + line
        else:
            out.append(line)
    return "\n\n".join(out)


SUGGESTED: dict[Audience, tuple[str, str]] = {
    Audience.KS1: ("Our rules for using computers and tablets", _unwrap(KS1)),
    Audience.KS2: ("Acceptable use agreement for pupils in Key Stage 2", _unwrap(KS2)),
    Audience.SECONDARY: ("Acceptable use agreement for pupils", _unwrap(SECONDARY)),
    Audience.STAFF: ("Acceptable use agreement for staff", _unwrap(STAFF)),
    Audience.VOLUNTEERS: ("Acceptable use agreement for volunteers and governors", _unwrap(VOLUNTEERS)),
    Audience.VISITORS: ("Acceptable use agreement for visitors and community users", _unwrap(VISITORS)),
    Audience.PARENTS: ("Agreement for parents and carers", _unwrap(PARENTS)),
}


def suggested(audience: Audience) -> tuple[str, str]:
    """The suggested title and text for `audience`'s agreement."""
    return SUGGESTED[audience]
