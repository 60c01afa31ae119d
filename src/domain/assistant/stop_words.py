"""English function words: they carry no topic, so sharing one with a question is no sign of relevance."""

from __future__ import annotations

_TEXT = """
a about above after again against all also am an and any are as at be because been before being below between
both but by can could did do does doing done down during each either else ever every few for from further get
gets got had has have having he her here hers him his how however i if in into is it its itself just let lets
many may me might more most much must my no nor not now of off often on once one only or other our ours out
over own per please same shall she should so some such than that the their theirs them then there these they
this those through to too under until up upon us very via was we were what whatever when where whether which
while who whom whose why will with within without would yes yet you your yours
"""
STOP_WORDS = frozenset(_TEXT.split())
