"""Who said it: speakers on a dependency parse, linked to the people and bodies the article names (registry.py).

Speaker = the subject of a speech or belief verb (say, tell, add, warn, predict, expect, forecast, argue, believe,
doubt, estimate, "according to" …), appositions and titles stripped, coordination ("A and B said") kept, names
linked within the article ("Mr Ortiz" → Luis Ortiz, "the Prime Minister" → Kevin Rudd, "WHO" → World Health
Organization, "he" → the last person, "it" → the last body).
"""

import dataclasses
import re

from forecasts.reading.nlp import entity_at
from forecasts.reading.registry import Registry, Speaker, affiliation_of, clean_name, proper_run, strip_the, words_of
from forecasts.reading.signals import names_nobody
from forecasts.reading.words import (
    BODY_HEADS, ENTITY_LABELS, FORECAST_NOUNS, GENERIC, ISSUING, PERSON_NOUNS, PRONOUNS_BODY, PRONOUNS_PERSON,
    PRONOUNS_PLURAL, QUANTIFIERS, REPORT_NOUNS, SPEECH_VERBS, SURVEYED, TITLES,
)


def subject_of(verb):
    """The subject of a speech verb: its own ("which says" → the noun the clause belongs to), or for "… and
    warned that …", "a report was issued predicting …" and "the report, predicting …" the one it shares."""
    subjects = [c for c in verb.children if c.dep_ in ("nsubj", "nsubjpass")]
    # "US Fed chairman Bernanke says" can come parsed with two subjects: the name is the one.
    subjects.sort(key=lambda c: c.ent_type_ != "PERSON")
    for child in subjects:
        if child.text.lower() in ("which", "who", "that") and verb.dep_ == "relcl":
            return verb.head
        return child
    if verb.dep_ == "acl" and verb.head.pos_ in ("NOUN", "PROPN") and verb.tag_ == "VBG":
        return verb.head  # "a report issued Wednesday predicting …" (not "the range predicted for 2011")
    node = verb
    while node.dep_ in ("conj", "xcomp", "advcl") and node.head.i != node.i:
        node = node.head
        own = next((c for c in node.children if c.dep_ in ("nsubj", "nsubjpass")), None)
        if node.dep_ == "ccomp" and node.head.text.lower() in SPEECH_VERBS:
            # "said the economy had changed … and warned that …": the parse hangs "warned" on the clause.
            return next((c for c in node.head.children if c.dep_ in ("nsubj", "nsubjpass")), own)
        if own is not None:
            return own
    return None


def speaker_for(subject, registry: Registry, *, publisher: str = "") -> Speaker | None:
    """The speaker a subject names, linked to the article's people and bodies; None for "I", "we", "you" and
    for what names nobody."""
    lower = subject.text.lower()
    if names_nobody(subject):
        return None  # "few people think …", "nobody expects …": a denial, read in the claim of who reports it
    if lower in PRONOUNS_PERSON:
        described = _described_subject(subject)
        if described is not None:
            # "a leading pollster tells VOA he expects …": the pollster, whom the article may name later.
            return _one_speaker(described, registry, publisher=publisher)
        return registry.person_for(registry.offset + subject.idx, sentence=registry.offset + subject.sent.start_char)
    if lower in PRONOUNS_BODY | PRONOUNS_PLURAL:
        # "The chairman delivered the Federal Reserve's estimates. They predict …": the body in the noun before.
        named = _body_before(subject, plural=lower in PRONOUNS_PLURAL, registry=registry)
        if named is not None:
            return named
        return registry.last_body if lower in PRONOUNS_BODY else registry.last_plural or registry.last_body
    if lower in QUANTIFIERS or subject.tag_ == "CD":
        # "Most of the 45 business economists questioned said …": the economists.
        of = next((c for c in subject.children if c.dep_ == "prep" and c.text.lower() == "of"), None)
        members = of is not None and next((c for c in of.children if c.dep_ == "pobj"), None)
        if members:
            subject, lower = members, members.text.lower()
    if subject.pos_ == "PRON" or lower in ("i", "we", "you", "who", "which", "that", "this", "one"):
        return None
    names = [subject, *(c for c in subject.children if c.dep_ == "conj")]
    for listed in (c for c in subject.children if c.dep_ == "appos" and c.ent_type_ == "PERSON"):
        # "Former President Maria Lopez, Prime Minister Tom Reyes and Dr. Ana Ruiz said": a list the parse hangs as
        # an apposition with its own conjunct.
        if any(g.dep_ == "conj" for g in listed.children):
            names += [listed, *(g for g in listed.children if g.dep_ == "conj")]
    if subject.pos_ == "PROPN":
        # "Kerry, Zarif Say Iran Nuclear Deal Possible": a headline's two subjects, side by side.
        names += [c for c in subject.head.children if c.dep_ == subject.dep_ and c.i != subject.i and c.pos_ == "PROPN"]
    found = [_one_speaker(token, registry, publisher=publisher) for token in names]
    # A "name" of many words or one that opens with a small word is a misparse, not a speaker.
    found = [s for s in found if s is not None and (not s.name or len(s.name.split()) <= 9 and s.name.split()[0].lower()
                                                   not in ("with", "in", "on", "at", "for", "by", "from", "of", "as"))]
    found = list({s.name: s for s in found}.values())  # "Mr. Gray and his team": one person
    if not found:
        return None
    speaker = found[0] if len(found) == 1 else Speaker(" and ".join(s.name for s in found), kind=found[0].kind,
                                                       generic=all(s.generic for s in found),
                                                       members=tuple(s for s in found if not s.generic))
    if len(names) > 1:
        registry.last_plural = speaker  # "Mr. Gray and his team …. They have also calculated …"
    return speaker


def _one_speaker(token, registry: Registry, *, publisher: str) -> Speaker | None:
    doc = token.doc
    introduced = _introduced(token, registry)
    if introduced is not None:
        return introduced
    if token.text[:1].isupper() and token.text.lower() not in TITLES | PERSON_NOUNS and not any(
            c.dep_ == "compound" for c in token.children):
        known = registry.find_person(token.text)
        if known:  # "Ruiz says …" in a headline the tagger read as a common noun
            return Speaker(known, affiliation=registry.affiliation.get(known, ""))
    # "A British-based West Africa expert, Chris Melville, …", "WHO Medical Officer, Nigel Unwin, …": the person in
    # apposition.
    described = token.pos_ == "NOUN" or token.text.lower() in PERSON_NOUNS | TITLES | BODY_HEADS
    if described and token.text.lower() in PERSON_NOUNS | TITLES:
        # "The director of the WHO Tobacco Free Initiative, Douglas Bettcher, …" (the parse hangs the name on the
        # body).
        for inner in token.subtree:
            if inner.dep_ == "appos" and inner.ent_type_ == "PERSON" and inner.i > token.i:
                entity = entity_at(inner)
                if entity is not None:
                    return _person(entity, registry)
        # "Spanish Secretary of State for E.U. Affairs Diego López Garrido says": the name closing a long title.
        last = max(token.subtree, key=lambda t: t.i)
        entity = entity_at(last)
        if entity is not None and entity.label_ == "PERSON" and entity.end - 1 == last.i and entity.start > token.i \
                and token.tag_ == "NNP":
            return _person(entity, registry)
    for child in token.children if described else ():
        if child.dep_ == "appos" and (child.ent_type_ == "PERSON" or child.tag_ == "NNP"):
            entity = entity_at(child)
            if entity is not None and entity.label_ == "PERSON":
                return _person(entity, registry)
            if entity is not None and entity.label_ in ("ORG", "GPE", "NORP"):
                return Speaker(registry.expand(strip_the(entity.text)), kind="body")  # "the regulator Ofwat"
            run = proper_run(child)
            if len(run) >= 2 and token.text.lower() in PERSON_NOUNS | TITLES:
                return Speaker(registry.add_person(run.text))
            if token.text.lower() not in PERSON_NOUNS | TITLES:
                return Speaker(registry.expand(run.text), kind="body")
    if token.tag_ == "NNP" and any(c.dep_ == "appos" and c.text.lower() in PERSON_NOUNS | TITLES for c in token.children):
        # "Bruce Bennet, a senior defense analyst at RAND Corp.": a person, whatever the entity tagger thought.
        run = [t for t in proper_run(token) if t.text.lower().strip(".") not in TITLES]
        if run:
            name = words_of(run)
            person = registry.find_person(name) or registry.add_person(name, affiliation_of(token))
            return Speaker(person, affiliation=registry.affiliation.get(person, "") or affiliation_of(token))
    owner = next((c for c in token.children if c.dep_ == "poss" and c.ent_type_ in ("ORG", "GPE")), None)
    if owner is not None and token.tag_ in ("NNP", "NNPS", "NN"):
        # "NOAA's Winter Outlook", "South Korea's National Intelligence Service": the name as printed.
        first = min(t.i for t in owner.subtree)
        name = doc[first : token.i + 1].text
        if re.fullmatch(r"[A-Z][A-Z.]{1,8}", owner.text):
            name = f"{registry.expand(owner.text)} {doc[owner.i + 2 : token.i + 1].text}".strip()
        if token.text.lower() in PERSON_NOUNS | TITLES:
            return _via(Speaker(name), token)  # "Acme Corp's chief executive": somebody, unnamed
        return Speaker(name, kind="body")
    entity = entity_at(token)
    if entity is not None and entity.label_ in ENTITY_LABELS:
        if entity.label_ == "PERSON" or entity.label_ not in ("ORG", "GPE", "NORP") and token.tag_ == "NNP":
            return _person(entity, registry)
        if token.tag_.startswith("NNP") or entity.root.i == token.i:
            name = registry.expand(strip_the(entity.text))
            return Speaker(name, kind="body", affiliation="")
    if token.tag_ in ("NNP", "NNPS"):
        span = proper_run(token)
        words = [t for t in span if t.text.lower().strip(".") not in TITLES]
        if span[-1].text.lower() in TITLES | PERSON_NOUNS and all(t.ent_type_ in ("GPE", "NORP", "ORG") for t in words):
            # "UK Prime Minister", "the Commissioner of Sports": the person the article gave that title.
            for size in (3, 2, 1):
                key = " ".join(t.text.lower() for t in span[-size:])
                if len(span) >= size and key in registry.titles:
                    return Speaker(registry.titles[key])
        if len(words) == 1:
            person = registry.find_person(words[0].text)
            if person:
                return Speaker(person, affiliation=registry.affiliation.get(person, ""))
            expanded = registry.expand(words[0].text)
            if expanded != words[0].text:
                return Speaker(expanded, kind="body")
        # "Deputy Foreign Minister Chun Young-woo": the name is what follows the title's last word.
        last_title = max((n for n, t in enumerate(span) if t.text.lower().strip(".") in TITLES), default=-1)
        named = [t for t in span[last_title + 1 :]]
        if 0 <= last_title and len([t for t in named if t.text != "-"]) >= 2 and all(
                t.text[0].isupper() or t.text == "-" or span[n - 1].text == "-" for n, t in enumerate(span) if n > last_title):
            words = named
        if len(words) >= 2 and all(t.text[0].isupper() or t.text == "-" or t.i > 0 and t.doc[t.i - 1].text == "-"
                                   for t in words) and not any(t.text.lower() in BODY_HEADS for t in words):
            title_key = " ".join(t.text.lower() for t in span)
            if title_key in registry.titles:
                return Speaker(registry.titles[title_key])
            name = words_of(words)
            return Speaker(registry.find_person(name) or registry.add_person(name), affiliation=affiliation_of(token))
        name = words_of(span)
        if name.lower() in registry.titles:
            return Speaker(registry.titles[name.lower()])
        return Speaker(registry.expand(name), kind="body") if name else None
    if token.pos_ in ("NOUN", "PROPN"):
        owned = _owned(token, registry, publisher=publisher)
        if owned is not None:
            return owned
        modifiers = [t for t in token.lefts if t.dep_ in ("compound", "amod", "nmod", "poss") and t.tag_ != "DT"]
        phrase = " ".join([*(t.text for t in modifiers), token.text])
        key = phrase.lower()
        for size in (3, 2, 1):
            words = key.split()[-size:]
            if len(words) == size and " ".join(words) in registry.titles:
                return Speaker(registry.titles[" ".join(words)])
        named = [t for t in token.subtree if t.ent_type_ in ("ORG", "GPE", "NORP", "PERSON") and t.dep_ != "appos"]
        lower = token.text.lower()
        determiner = next((c.text.lower() for c in token.children if c.dep_ == "det"), "")
        # "economists questioned", also hung on the quantifier: "Most of the 45 business economists questioned".
        holders = [token, token.head.head] if token.dep_ == "pobj" and token.head.text.lower() == "of" else [token]
        surveyed = next((c for h in holders for c in h.children if c.dep_ == "acl" and c.text.lower() in SURVEYED), None)
        if lower in GENERIC and surveyed is not None and not any(t.pos_ == "PROPN" for t in surveyed.subtree):
            owner = registry.report_owner(registry.offset + token.idx)
            if owner is not None:
                return Speaker(owner.name, kind="group")  # the survey's: "the 45 business economists questioned"
        if lower in ("agency", "organization", "organisation", "body") and determiner == "the" and named \
                and registry.last_body is not None \
                and registry.last_body.name != registry.expand(strip_the(entity_at(named[0]).text)):
            return _via(registry.last_body, token)  # "The United Nations agency expects …": the agency last quoted
        if lower in GENERIC:
            # "Experts such as Paul Salem of the Middle East Institute predict …": the expert named.
            for prep in (c for c in token.children if c.dep_ == "prep" and c.text.lower() in ("as", "like", "including")):
                person = next((t for t in prep.subtree if t.ent_type_ == "PERSON" and t.dep_ == "pobj"), None)
                entity = person is not None and entity_at(person)
                if entity:
                    return _person(entity, registry)
        if not named and determiner in ("the", "these", "those") and lower in registry.groups:
            return registry.groups[lower]  # "American officials have issued … The officials say …"
        if token.text.lower() in GENERIC and not named:
            return Speaker(f"Analysts cited by {publisher}" if publisher else "Analysts cited by the source",
                           kind="group", generic=True)
        if named and token.text.lower() in PERSON_NOUNS | TITLES:
            # "The director of the WHO Tobacco Free Initiative": one person, named elsewhere by that title.
            for key, person in registry.titles.items():
                if key.split()[-1] == token.text.lower():
                    return Speaker(person)
        if named:
            # "U.S. government forecasters", "A new United Nations report", "Figures released by the OECD".
            entity = entity_at(named[0])
            if entity is not None and (token.text.lower() in ("figures", "data", "numbers", "estimates")
                                       or token.text.lower() in BODY_HEADS and entity.start > token.i):
                # "Figures released by the OECD", "a report published by the Food and Agriculture Organization".
                return Speaker(registry.expand(strip_the(entity.text)), kind="body")
            if entity is not None and token.text.lower() in GENERIC and entity.start > token.i:
                if entity.label_ == "PERSON":  # "critics of Maria Lopez": nobody named says it
                    return Speaker(f"Analysts cited by {publisher}" if publisher else "Analysts cited by the source",
                                   kind="group", generic=True)
                # "economists surveyed by Acme", "analysts at Goldman Sachs": the body's people.
                return Speaker(f"{registry.expand(strip_the(entity.text))} {token.text}", kind="group")
            # "U.S. government forecasters", "Maria Lopez's spokesman", "Acme Corp's chief executive": a description,
            # as written (its possessive kept), for the reviewer to name or accept.
            parts: list[str] = []
            for t in token.subtree:
                if t.i > token.i or t.tag_ == "DT" or t.dep_ == "punct":
                    continue
                if t.tag_ == "POS" and parts:
                    parts[-1] += t.text
                else:
                    parts.append(registry.expand(t.text))
            kind = "person" if token.text.lower() in PERSON_NOUNS else "group" if token.tag_ == "NNS" else "body"
            speaker = Speaker(" ".join(parts), kind=kind)
            return _via(speaker, token) if kind == "person" else speaker
        if token.text.lower() in BODY_HEADS:
            # "A report from the e-Marketer research group": the body the noun comes from, named there.
            for prep in token.children:
                if prep.dep_ == "prep" and prep.text.lower() in ("from", "by", "of", "at"):
                    source = next((c for c in prep.children if c.dep_ == "pobj"), None)
                    if source is not None and any(t.text[:1].isupper() for t in source.subtree if t.i <= source.i):
                        first = min(t.i for t in source.subtree if t.tag_ != "DT")
                        return Speaker(registry.expand(doc[first : source.i + 1].text), kind="body")
            if token.text.lower() in REPORT_NOUNS:
                owner = registry.report_owner(registry.offset + token.idx)
                if owner is not None:
                    return _via(owner, token)  # "The WWF has released a report … The report says …"
            for body in reversed(registry.bodies):
                if token.text.lower() in body.lower():
                    return Speaker(registry.expand(body), kind="body")
            if token.text.lower() in ("firm", "company", "group", "bank", "carrier", "airline", "manufacturer"):
                # "… an important area for Airbus, with the firm predicting …": the company just named.
                named_here = next((t for t in reversed(doc[token.sent.start : token.i]) if t.ent_type_ == "ORG"), None)
                if named_here is not None:
                    return _via(Speaker(registry.expand(strip_the(entity_at(named_here).text)), kind="body"), token)
            if registry.last_body is not None:
                return _via(registry.last_body, token)  # "the report", "the panel": the body last quoted
            # "the firm", "the company", before any body spoke: the last body the text named before it.
            here = registry.offset + token.idx
            for position, body in reversed(registry.bodies_named):
                if position < here:
                    return Speaker(registry.expand(body), kind="body")
            return None
    return None


def _introduced(token, registry: Registry) -> Speaker | None:
    """A speaker described, not named, who is named as the next speaker ("A renowned political analyst says …",
    then "Professor Shadreck Guto … says"; "South Korea's top nuclear negotiator says …", then "Deputy Foreign
    Minister Chun Young-woo …"): see Registry.introduced_after. A nationality or a country is part of the
    description; a person or a body named in it makes it no description."""
    lower = token.text.lower()
    if lower not in PERSON_NOUNS | TITLES | GENERIC or token.tag_ not in ("NN", "NNP"):
        return None
    own = entity_at(token)
    for inner in token.subtree:
        if inner.dep_ == "amod":
            continue  # "Gambian", whatever the entity tagger thought: an adjective names nobody
        if inner.ent_type_ == "PERSON" or inner.ent_type_ == "ORG" and inner.dep_ != "appos" and not (
                own is not None and own.start <= inner.i < own.end):
            return None
    determiner = next((c.text.lower() for c in token.children if c.dep_ == "det"), "")
    country = any(c.dep_ == "poss" and c.ent_type_ in ("GPE", "NORP") for c in token.children)
    if determiner not in ("a", "an", "") or determiner == "" and not country and any(
            c.dep_ == "poss" for c in token.children):
        return None
    after = token.doc[token.sent.end] if token.sent.end < len(token.doc) else None
    person = registry.introduced_after(registry.offset + token.idx,
                                       next_sentence=registry.offset + after.idx if after is not None else None)
    return _via(Speaker(person, affiliation=registry.affiliation.get(person, "")), token) if person else None


def _via(speaker: Speaker, token) -> Speaker:
    """The speaker as found through a description ("a leading analyst", "the report", "the firm"): a copy that says
    so, for the reviewer to check (the registry's own speakers are shared, not changed)."""
    words = words_of(t for t in token.subtree if t.i <= token.i and t.dep_ != "punct")
    return dataclasses.replace(speaker, via=words[:60])


def _owned(token, registry: Registry, *, publisher: str) -> Speaker | None:
    """A speaker named through whose they are: "his team" (the person), "its chief economist", "the group's
    experts" (the body's people), "Wednesday's revision of the Federal Reserve forecast" (the Fed's)."""
    owner = next((c for c in token.children if c.dep_ == "poss" and c.ent_type_ != "DATE"), None)
    lower = token.text.lower()
    if token.dep_ == "appos" and token.head.ent_type_ == "PERSON":
        # "William Patey, its ambassador to Baghdad, who predicted …": the person the title is given to.
        entity = entity_at(token.head)
        return _person(entity, registry) if entity is not None else None
    if owner is None:
        if lower in FORECAST_NOUNS | {"revision", "update"}:
            of = next((c for c in token.children if c.dep_ == "prep" and c.text.lower() == "of"), None)
            named = of is not None and next((t for t in of.subtree if t.ent_type_ == "ORG"), None)
            if named:
                entity = entity_at(named)
                return Speaker(registry.expand(strip_the(entity.text)), kind="body")
        return None
    whose = owner.text.lower()
    if whose in ("his", "her"):
        if lower in PERSON_NOUNS | TITLES | GENERIC:
            return None  # "his spokesman", "her advisers": somebody else, unnamed
        person = registry.person_for(registry.offset + owner.idx, sentence=registry.offset + owner.sent.start_char)
        if person is not None and lower in BODY_HEADS:
            registry.titles.setdefault(lower, person.name)  # "his team" now, "the team" later
        return person
    if whose in ("its", "their"):
        body = registry.last_body
    elif owner.pos_ == "NOUN" and whose in BODY_HEADS:
        body = _one_speaker(owner, registry, publisher=publisher)
    else:
        return None
    if body is None or body.kind == "person":
        return None
    if lower in PERSON_NOUNS | TITLES or lower in GENERIC:
        words = [t.text for t in token.lefts if t.dep_ in ("compound", "amod")] + [token.text]
        kind = "group" if token.tag_ == "NNS" else "person"
        return Speaker(f"{body.name} {' '.join(words)}", kind=kind)
    if lower in BODY_HEADS:
        return body  # "its report", "the agency's outlook"
    return None


def learn_group(noun, registry: Registry) -> None:
    """A group the article names with whose it is ("American officials", "NOAA forecasters"): "the officials" and
    "they" later mean them."""
    if noun.tag_ != "NNS" or noun.text.lower() not in GENERIC:
        return
    qualifiers = [c for c in noun.children if c.dep_ in ("amod", "compound", "nmod") and c.ent_type_ in ("NORP", "GPE", "ORG")]
    if qualifiers:
        first = min(t.i for q in qualifiers for t in q.subtree)
        registry.groups[noun.text.lower()] = Speaker(words_of(noun.doc[first : noun.i + 1]), kind="group")


def learn_report(noun, registry: Registry, *, publisher: str = "") -> None:
    """Remember who issued a report the article introduces: "The WWF has released a report", "a report by the
    OECD", "the findings from the OECD-FAO Agricultural Outlook", "The research is from the Population Reference
    Bureau", "the IMF's report"."""
    owner = None
    head = noun.head
    if noun.dep_ in ("dobj", "nsubjpass") and head.text.lower() in ISSUING:
        subject = next((c for c in head.children if c.dep_ == "nsubj"), None) if noun.dep_ == "dobj" else next(
            (g for c in head.children if c.dep_ == "agent" for g in c.children if g.dep_ == "pobj"), None)
        owner = subject is not None and subject.pos_ != "PRON" and _one_speaker(subject, registry, publisher=publisher)
    if not owner:
        preps = [c for c in noun.children if c.dep_ == "prep" and c.text.lower() in ("by", "from", "of")]
        if noun.dep_ == "nsubj" and head.text.lower() in ("is", "was", "are", "were"):
            preps += [c for c in head.children if c.dep_ == "prep" and c.text.lower() == "from"]
        for prep in preps:
            source = next((c for c in prep.children if c.dep_ == "pobj"), None)
            if source is not None and source.ent_type_ in ("ORG", "PERSON", "") and source.text[:1].isupper():
                owner = _one_speaker(source, registry, publisher=publisher)
                if owner:
                    break
    if not owner:
        possessor = next((c for c in noun.children if c.dep_ == "poss" and c.ent_type_ == "ORG"), None)
        owner = possessor is not None and _one_speaker(possessor, registry, publisher=publisher)
    if not owner and any(c.dep_ == "poss" and c.text.lower() in ("its", "their") for c in noun.children):
        # "The National Association for Business Economics has its latest predictions": its own.
        subject = next((c for c in head.children if c.dep_ == "nsubj"), None) if noun.dep_ == "dobj" else None
        owner = subject is not None and subject.ent_type_ == "ORG" and _one_speaker(subject, registry,
                                                                                   publisher=publisher)
    if owner and owner.kind != "person" and not owner.generic:
        registry.reports.append((registry.offset + noun.idx, owner))


def _described_subject(pronoun):
    """For "he" in "the minister said he …", "a leading pollster tells VOA he expects …": the described person
    who is the subject of the verb that governs the pronoun's clause (no name of theirs in that sentence)."""
    clause = pronoun.head
    verb = clause.head if clause.dep_ in ("ccomp", "xcomp", "advcl", "conj") else None
    if verb is None or verb.i == clause.i:
        return None
    subject = next((c for c in verb.children if c.dep_ in ("nsubj", "nsubjpass")), None)
    if subject is None or subject.ent_type_ == "PERSON" or subject.pos_ != "NOUN":
        return None
    return subject if subject.text.lower() in PERSON_NOUNS | TITLES else None


def _body_before(pronoun, *, plural: bool, registry: Registry) -> Speaker | None:
    """The nearest noun before a pronoun, in its sentence or the one before, that is or names a body."""
    doc = pronoun.doc
    start = doc[pronoun.sent.start - 1].sent.start if pronoun.sent.start > 0 else pronoun.sent.start
    for token in reversed(doc[start : pronoun.i]):
        if token.pos_ not in ("NOUN", "PROPN") or token.dep_ not in ("nsubj", "nsubjpass", "dobj", "pobj", "appos"):
            continue
        if reported(token):
            continue  # "The report says warming will be fastest in Russia. It says …": the report, not Russia
        if token.dep_ == "pobj" and token.ent_type_ in ("GPE", "LOC", "DATE"):
            continue  # "… a private group based in Washington. It says …": a place names where, not who
        if any(c.dep_ == "poss" and c.text.lower() in ("its", "their") for c in token.children):
            continue  # "In its just released Global Employment Trends report, it warns": the report is its own
        if plural != (token.tag_ in ("NNS", "NNPS")) and token.ent_type_ not in ("ORG",):
            continue
        # "the Population Reference Bureau, a private group based in Washington. It says …": the group is the Bureau.
        for noun in (token, token.head) if token.dep_ == "appos" else (token,):
            for inner in noun.subtree:
                if inner.ent_type_ in ("ORG", "GPE") and inner.dep_ != "pobj" or inner.i == noun.i and inner.ent_type_ == "ORG":
                    entity = entity_at(inner)
                    if entity is not None:
                        return Speaker(registry.expand(strip_the(entity.text)), kind="body")
        return None
    return None


def reported(token) -> bool:
    """Inside what somebody is reported to say: below the clause a speech verb governs."""
    node = token
    for _ in range(12):
        if node.head.i == node.i:
            return False
        if node.dep_ in ("ccomp", "xcomp") and node.head.text.lower() in SPEECH_VERBS:
            return True
        node = node.head
    return False


def _person(entity, registry: Registry) -> Speaker | None:
    name = clean_name(entity)
    if not name:
        return None  # "Lady said …": a title, no name
    known = registry.find_person(name)
    if known:
        return Speaker(known, affiliation=registry.affiliation.get(known, ""))
    if len(name.split()) == 1:
        return Speaker(name)
    return Speaker(registry.add_person(name, affiliation_of(entity.root)),
                   affiliation=registry.affiliation.get(name, ""))


