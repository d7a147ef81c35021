"""Every sentence the assistant says, in Swedish and English. ``say(lang, key, **values)``."""

from __future__ import annotations

from typing import Any

from device.answers.words import EN_TERMS

PHRASES: dict[str, dict[str, str]] = {
    "sv": {
        "disclosure": "Det här är en automatisk assistent.",
        "no_data": "Det finns ingen vårddata inläst. Kontakta IT eller samordnaren.",
        "unknown": "Det kan jag tyvärr inte svara på. Fråga samordnaren om du behöver hjälp.",
        "error": "Förlåt, något gick fel med den frågan. Fråga igen, eller ring samordnaren.",
        "clarify": "Jag är inte säker på att jag förstod. Menar du {what}? Säg ja eller nej.",
        "clarify_no": "Okej. Fråga gärna på ett annat sätt, eller fråga samordnaren.",
        "records": "I anteckningarna om {name} står det: {text}",
        "records_near": "Jag hittar inget säkert svar på det. Närmast i anteckningarna om {name} "
        "står: {text}",
        "contact": "{who} {name}: telefon {phone}.",
        "contact_no_phone": "{who} {name}: inget telefonnummer är registrerat.",
        "who_is": "{who} {name}.",
        "which_person": "Jag hittar flera som heter så: {names}. Vilken menar du?",
        "new_question": "Ja, vad vill du fråga?",
        "visit_length": "Besöket hos {name} är {length}, från {start} till {end}.",
        "day_end": "Ditt sista besök, hos {name}, slutar {end}.",
        "remaining": "Kvar i dag: {items}.",
        "remaining_part": "Kvar {part}: {items}.",
        "no_more_part": "Du har inga fler besök {part}.",
        "time_left": "Du har {length} till nästa besök, hos {name} {when}.",
        "visit_gap": "Från besöket hos {first} (slut {end}) till {then} {start} har du {length}.",
        "visits_between": "Emellan har du besök hos {visits}.",
        "visit_at": "{name} {time}",
        "break_fits": "Ja, du hinner.",
        "break_too_short": "Nej, det räcker inte.",
        "who_do_you_mean": "Vem menar du? Säg namnet.",
        "nobody_named": "Jag hittar ingen som heter {name} i vårddatan. "
        "Säg hela namnet på brukaren du menar.",
        "not_a_client": "{name} är inte brukare: portkoder, adresser och rutiner har jag bara "
        "för brukarna.",
        "colleague": "Kollegan",
        "client_named_who": "Brukaren",
        "about_next_visit": "ditt nästa besök",
        "about_schedule": "ditt schema i dag",
        "about_schedule_count": "hur många besök du har",
        "about_visit_time": "när besöket hos {name} är",
        "about_visit_length": "hur långt besöket hos {name} är",
        "about_day_end": "när din arbetsdag slutar",
        "about_remaining": "vilka besök du har kvar i dag",
        "about_time_left": "hur lång tid du har till nästa besök",
        "about_routine": "vad du ska göra hos {name}",
        "about_notes": "vad som är bra att veta om {name}",
        "about_flags": "allergier och risker hos {name}",
        "about_medication": "medicinerna för {name}",
        "about_access": "hur du kommer in hos {name}",
        "about_address": "adressen till {name}",
        "about_relative_phone": "numret till {owner} {relation}",
        "about_escalation": "numret till {role}",
        "about_help": "vad jag kan hjälpa till med",
        "about_someone": "anhöriga",
        "about_next": "nästa brukare",
        "role_nurse": "sjuksköterskan",
        "role_coordinator": "samordnaren",
        "unknown_client": "Jag hittar ingen brukare med det namnet i vårddatan.",
        "which_client": "Jag hittar flera: {names}. Vilken menar du?",
        "help": (
            "Du kan fråga om ditt nästa besök, dagens schema, vad du ska göra hos en brukare, "
            "anteckningar och önskemål, allergier och risker, medicin, portkoder, adresser, "
            "anhörigas nummer, sjuksköterskan och samordnaren."
        ),
        "current": "Du är hos {name} nu, till {end}.",
        "next": "Nästa besök: {name}, {when}, {kind}.",
        "next_where": "Adress: {address}.",
        "no_more": "Du har inga fler besök i schemat.",
        "cancelled_list": "Inställt: {items}.",
        "period_today": "i dag",
        "cancelled": "Besöket hos {name} {when} är inställt.",
        "schedule": "{period} har du {count}: {items}.",
        "more_after": "sedan {count} till",
        "schedule_item": "{name} {when}",
        "schedule_none": "{period} har du inga besök.",
        "count": "{period} har du {count}.",
        "visits_1": "ett besök",
        "visits_n": "{n} besök",
        "at_time": "{when} är du hos {name}, {start} till {end}.",
        "at_none": "{when} har du inget besök.",
        "after": "efter {when}",
        "part_morning": "på morgonen",
        "part_forenoon": "på förmiddagen",
        "part_afternoon": "på eftermiddagen",
        "part_evening": "på kvällen",
        "starts": "Besöket hos {name} börjar {start}{day}.",
        "ends": "Besöket hos {name} slutar {end}{day}.",
        "no_visit_for": "Du har inget besök hos {name} i schemat.",
        "colleague_visit": "{worker} besöker {name} {start}{day}.",
        "no_colleague_visit": "Jag hittar inget besök av {worker} hos {name} i schemat den dagen.",
        "no_visit_for_day": "Du har inget besök hos {name} {day}.",
        "visit_after": "Efter {name} kommer {other}, {when}, {kind}.",
        "visit_before": "Före {name} är {other}, {when}, {kind}.",
        "none_after": "Efter {name} har du inga fler besök den dagen.",
        "none_before": "{name} är dagens första besök.",
        "first_visit": "Första besöket {period}: {name}, {when}, {kind}.",
        "last_visit": "Sista besöket {period}: {name}, {when}, {kind}.",
        "count_left": "Du har {count} kvar i dag.",
        "round": "Mediciner {period}, som de står i listan: {items}",
        "round_none": "Jag hittar inga mediciner för dina besök {period}.",
        "no_such_medication": "Jag hittar ingen {medicine} i läkemedelslistan för {name}.",
        "medicine_elsewhere": "Om {medicine} står det för {name}: {text} "
        "Det finns inte i läkemedelslistan.",
        "no_kind_for": "Jag hittar inget besök hos {name} som är {kind} i schemat.",
        "part_night": "på natten",
        "day_not_on_device": "Schemat för {day} finns inte på enheten. Fråga samordnaren.",
        "day_unknown": (
            "Jag förstod inte vilken dag du menar. Säg till exempel i morgon eller på fredag."
        ),
        "routine": "Hos {name}, {kind}: {text}",
        "routine_other": "Det finns också rutiner för {kinds}.",
        "routine_all": "Rutiner hos {name}: {text}",
        "no_routine": "Det finns ingen rutin registrerad för {name}.",
        "notes": "Om {name}: {text}",
        "called": "{name} vill bli kallad {nick}.",
        "speaks": "{name} talar {languages}.",
        "no_notes": "Det finns inga anteckningar för {name}.",
        "flags": "{name}: {text}",
        "no_flags_allergy": (
            "Jag hittar inget om allergier i anteckningarna om {name}. Fråga samordnaren om "
            "du är osäker."
        ),
        "no_flags_risk": "Jag hittar inga risker i anteckningarna om {name}.",
        "no_flags_pet": "Jag hittar inget om husdjur i anteckningarna om {name}.",
        "animal_dog": "hund",
        "animal_cat": "katt",
        "animal_bird": "fågel",
        "no_such_animal": "Jag hittar ingen {animal} i anteckningarna om {name}. Om djur står: "
        "{text}",
        "no_flags_equipment": "Jag hittar inget om hjälpmedel i anteckningarna om {name}.",
        "no_flags_mobility": "Jag hittar inget om hur {name} går i anteckningarna.",
        "no_flags_any": "Jag hittar inget särskilt att tänka på i anteckningarna om {name}.",
        "no_flags_clinical": "Jag hittar inga sjukdomar i anteckningarna om {name}.",
        "briefing": "Att tänka på hos {name}: {text}",
        "medication": "Läkemedel för {name}, enligt ordinationen: {text}",
        "no_medication": "Det finns inga läkemedel registrerade för {name}.",
        "verify": "Måste kontrolleras: jämför med signeringslistan eller ring sjuksköterskan.",
        "access_gated_button": (
            "Det finns kodinformation för {name}. Tryck på knappen för att bekräfta, "
            "så läser jag den."
        ),
        "access_gated_spoken": (
            "Det finns kodinformation för {name}. Säg ja för att höra den, eller tryck på knappen."
        ),
        "access": "Kod för {name}: {code}",
        "no_access": "Det finns ingen kod eller nyckelinformation registrerad för {name}.",
        "nothing_to_confirm": "Det finns inget att bekräfta just nu.",
        "nothing_to_repeat": "Jag har inte sagt något än.",
        "feedback_bad": (
            "Tack, jag noterar att svaret var fel. Kontrollera uppgiften med samordnaren."
        ),
        "feedback_good": "Tack!",
        "feedback_nothing": "Jag har inte svarat på något än. Ställ din fråga.",
        "heard_nothing": "Jag hörde ingenting. Tryck och fråga igen.",
        "address": "{name} bor på {address}.",
        "no_address": "Det finns ingen adress registrerad för {name}.",
        "relative": "{client} {relation} {name}, telefon {phone}.",
        "relative_no_phone": "{client} {relation} {name} har inget telefonnummer registrerat.",
        "no_relative": "Jag hittar ingen {relation} bland anhöriga registrerade för {client}.",
        "in_notes": "I anteckningarna står: {text}",
        "medication_for": "Ordinerat vid {symptom} för {name}: {text}",
        "no_medication_for": "Listan för {name} har inget vid {symptom}. Ordinerat: {text}",
        "symptom_pain": "smärta",
        "symptom_sleep": "sömnsvårigheter",
        "symptom_anxiety": "oro",
        "symptom_nausea": "illamående",
        "symptom_constipation": "förstoppning",
        "symptom_stomach": "magbesvär",
        "no_relatives": "Det finns inga anhöriga registrerade för {client}.",
        "relatives_recorded": "Registrerade anhöriga: {items}.",
        "role": "{title} är {name}, telefon {phone}.",
        "role_no_phone": "{title} är {name}.",
        "no_role_nurse": "Ingen sjuksköterska finns registrerad. Fråga samordnaren.",
        "emergency_first": "Är det akut, ring 112.",
        "no_role_coordinator": "Ingen samordnare finns registrerad.",
        "and": "och",
    },
    "en": {
        "disclosure": "This is an automated assistant.",
        "no_data": "No care data has been loaded. Contact IT or the coordinator.",
        "unknown": "Sorry, I can't answer that. Ask the coordinator if you need help.",
        "error": (
            "Sorry, something went wrong with that question. Ask again, or call the coordinator."
        ),
        "clarify": "I'm not sure I understood. Do you mean {what}? Say yes or no.",
        "clarify_no": "All right. Try asking another way, or ask the coordinator.",
        "records": "The records for {name} say: {text}",
        "records_near": "I don't find a sure answer to that. The nearest the records for {name} "
        "come is: {text}",
        "contact": "{who} {name}: phone {phone}.",
        "contact_no_phone": "{who} {name}: no phone number is recorded.",
        "who_is": "{who} {name}.",
        "new_question": "Sure, what is your question?",
        "visit_length": "The visit with {name} is {length}, from {start} to {end}.",
        "day_end": "Your last visit, with {name}, ends at {end}.",
        "remaining": "Left today: {items}.",
        "remaining_part": "Left {part}: {items}.",
        "no_more_part": "You have no more visits {part}.",
        "time_left": "You have {length} until your next visit, with {name} at {when}.",
        "visit_gap": "From {first} (ending at {end}) to {then} at {start} you have {length}.",
        "visits_between": "In between you have visits to {visits}.",
        "visit_at": "{name} at {time}",
        "break_fits": "Yes, you have time.",
        "break_too_short": "No, there is not enough time.",
        "who_do_you_mean": "Who do you mean? Say the name.",
        "nobody_named": "I can't find anyone called {name} in the care data. "
        "Say the full name of the client you mean.",
        "not_a_client": "{name} is not a client: I have door codes, addresses and routines "
        "for clients only.",
        "which_person": "I find several with that name: {names}. Which one do you mean?",
        "colleague": "Colleague",
        "client_named_who": "The client",
        "about_next_visit": "your next visit",
        "about_schedule": "your schedule today",
        "about_schedule_count": "how many visits you have",
        "about_visit_time": "when the visit to {name} is",
        "about_visit_length": "how long the visit to {name} is",
        "about_day_end": "when your working day ends",
        "about_remaining": "which visits you have left today",
        "about_time_left": "how long you have until your next visit",
        "about_routine": "what to do at {name}'s",
        "about_notes": "what is good to know about {name}",
        "about_flags": "allergies and risks for {name}",
        "about_medication": "the medication for {name}",
        "about_access": "how to get in at {name}'s",
        "about_address": "the address of {name}",
        "about_relative_phone": "the number of {owner}'s {relation}",
        "about_escalation": "the number of {role}",
        "about_help": "what I can help with",
        "about_someone": "relative",
        "about_next": "the next client",
        "role_nurse": "the nurse",
        "role_coordinator": "the coordinator",
        "unknown_client": "I can't find a client with that name in the care data.",
        "which_client": "I found more than one: {names}. Which one do you mean?",
        "help": (
            "You can ask about your next visit, today's schedule, what to do at a client's, "
            "notes and preferences, allergies and risks, medication, door codes, addresses, "
            "relatives' numbers, the nurse and the coordinator."
        ),
        "current": "You are at {name}'s now, until {end}.",
        "next": "Next visit: {name}, {when}, {kind}.",
        "next_where": "Address: {address}.",
        "no_more": "You have no more visits in the schedule.",
        "cancelled_list": "Cancelled: {items}.",
        "period_today": "today",
        "cancelled": "The visit to {name} {when} is cancelled.",
        "schedule": "{period} you have {count}: {items}.",
        "more_after": "then {count} more",
        "schedule_item": "{name} at {when}",
        "schedule_none": "{period} you have no visits.",
        "count": "{period} you have {count}.",
        "visits_1": "one visit",
        "visits_n": "{n} visits",
        "at_time": "At {when} you are with {name}, {start} to {end}.",
        "at_none": "At {when} you have no visit.",
        "after": "after {when}",
        "part_morning": "in the morning",
        "part_forenoon": "before noon",
        "part_afternoon": "in the afternoon",
        "part_evening": "in the evening",
        "starts": "The visit to {name} starts at {start}{day}.",
        "ends": "The visit to {name} ends at {end}{day}.",
        "no_visit_for": "You have no visit to {name} in the schedule.",
        "colleague_visit": "{worker} visits {name} at {start}{day}.",
        "no_colleague_visit": "I don't find a visit by {worker} to {name} in that day's schedule.",
        "no_visit_for_day": "You have no visit to {name} {day}.",
        "visit_after": "After {name} comes {other}, at {when}, {kind}.",
        "visit_before": "Before {name} is {other}, at {when}, {kind}.",
        "none_after": "After {name} you have no more visits that day.",
        "none_before": "{name} is the first visit of the day.",
        "first_visit": "First visit {period}: {name}, at {when}, {kind}.",
        "last_visit": "Last visit {period}: {name}, at {when}, {kind}.",
        "count_left": "You have {count} left today.",
        "round": "Medicines {period}, as listed: {items}",
        "round_none": "I don't find any medicines for your visits {period}.",
        "no_such_medication": "I don't find {medicine} in {name}'s medication list.",
        "medicine_elsewhere": "{name}'s records say about {medicine}: {text} "
        "It is not in the medication list.",
        "no_kind_for": "I don't find a {kind} visit to {name} in the schedule.",
        "part_night": "at night",
        "day_not_on_device": "The schedule for {day} is not on this device. Ask the coordinator.",
        "day_unknown": (
            "I didn't understand which day you mean. Say, for example, tomorrow or on Friday."
        ),
        "routine": "At {name}'s, {kind}: {text}",
        "routine_other": "There are also routines for {kinds}.",
        "routine_all": "Routines at {name}'s: {text}",
        "no_routine": "There is no routine recorded for {name}.",
        "notes": "About {name}: {text}",
        "called": "{name} wants to be called {nick}.",
        "speaks": "{name} speaks {languages}.",
        "no_notes": "There are no notes for {name}.",
        "flags": "{name}: {text}",
        "no_flags_allergy": (
            "I don't find anything about allergies in {name}'s records. Ask the coordinator "
            "if you are unsure."
        ),
        "no_flags_risk": "I don't find any risks in {name}'s records.",
        "no_flags_pet": "I don't find anything about pets in {name}'s records.",
        "animal_dog": "dog",
        "animal_cat": "cat",
        "animal_bird": "bird",
        "no_such_animal": "I don't find a {animal} in {name}'s records. About animals they say: "
        "{text}",
        "no_flags_equipment": "I don't find anything about equipment in {name}'s records.",
        "no_flags_mobility": "I don't find anything about how {name} walks in the records.",
        "no_flags_any": "I don't find anything special in {name}'s records.",
        "no_flags_clinical": "I don't find any illnesses in {name}'s records.",
        "briefing": "To keep in mind at {name}'s: {text}",
        "medication": "Medication for {name}, as ordered: {text}",
        "no_medication": "No medication is recorded for {name}.",
        "verify": "Must verify: check the signing list or call the nurse.",
        "access_gated_button": (
            "There is access information for {name}. Press the button to confirm and I will "
            "read it."
        ),
        "access_gated_spoken": (
            "There is access information for {name}. Say yes to hear it, or press the button."
        ),
        "access": "Access for {name}: {code}",
        "no_access": "No code or key information is recorded for {name}.",
        "nothing_to_confirm": "There is nothing to confirm right now.",
        "nothing_to_repeat": "I haven't said anything yet.",
        "feedback_bad": (
            "Thanks, I've noted that the answer was wrong. Check it with the coordinator."
        ),
        "feedback_good": "Thank you!",
        "feedback_nothing": "I haven't answered anything yet. Ask your question.",
        "heard_nothing": "I heard nothing. Press and ask again.",
        "address": "{name} lives at {address}.",
        "no_address": "No address is recorded for {name}.",
        "relative": "{client}'s {relation} {name}, phone {phone}.",
        "relative_no_phone": "{client}'s {relation} {name} has no phone number recorded.",
        "no_relative": "There is no {relation} among the relatives recorded for {client}.",
        "in_notes": "The notes say: {text}",
        "medication_for": "Ordered for {symptom} for {name}: {text}",
        "no_medication_for": "{name}'s medication list has nothing for {symptom}. Ordered: {text}",
        "symptom_pain": "pain",
        "symptom_sleep": "trouble sleeping",
        "symptom_anxiety": "anxiety",
        "symptom_nausea": "nausea",
        "symptom_constipation": "constipation",
        "symptom_stomach": "stomach trouble",
        "no_relatives": "No relatives are recorded for {client}.",
        "relatives_recorded": "Recorded relatives: {items}.",
        "role": "The {title} is {name}, phone {phone}.",
        "role_no_phone": "The {title} is {name}.",
        "no_role_nurse": "No nurse is recorded. Ask the coordinator.",
        "emergency_first": "If it is an emergency, call 112.",
        "no_role_coordinator": "No coordinator is recorded.",
        "and": "and",
    },
}


def say(lang: str, key: str, **values: Any) -> str:
    return PHRASES[lang][key].format(**values)


def term(lang: str, word: str) -> str:
    """A recorded Swedish term (visit kind, relation) in the answer's language, lower case."""
    lowered = word.lower()
    return EN_TERMS.get(lowered, lowered) if lang == "en" else lowered


def join(lang: str, items: list[str]) -> str:
    """ "a, b och c" / "a, b and c"."""
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {PHRASES[lang]['and']} {items[-1]}"


def capitalize(text: str) -> str:
    return text[:1].upper() + text[1:]
