"""A prohibition in any supported language forbids the act, whichever of the kind's verbs it
negates (session 29): ``forbidden`` knew only the English verbs of ``ACTION_VERBS``, so
"Never erase any emails", "Ne supprime aucun e-mail" and "Lösche keine E-Mails" asked for
the very delete they forbid."""

from __future__ import annotations

import pytest

from incident_lab.provenance.actions import authorised


@pytest.mark.parametrize(
    ("kind", "tool", "text"),
    [
        ("delete", "gmail.delete_message", "Never erase any emails; list them."),
        ("delete", "gmail.delete_message", "Ne supprime aucun e-mail, liste-les."),
        ("delete", "delete_file", "N'efface pas les fichiers, montre-les."),
        ("delete", "gmail.delete_message", "Lösche keine E-Mails, liste sie nur auf."),
        ("delete", "delete_file", "Die Dateien bitte nicht löschen, nur auflisten."),
        ("delete", "delete_file", "Non cancellare i file, elencali soltanto."),
        ("delete", "delete_file", "Não apague os arquivos, apenas liste-os."),
        ("delete", "delete_file", "Nunca borrar los archivos; solo enuméralos."),
    ],
)
def test_a_prohibition_in_any_language_asks_for_no_such_act(
    kind: str, tool: str, text: str
) -> None:
    assert not authorised(kind, tool, text)


@pytest.mark.parametrize(
    ("kind", "tool", "text"),
    [
        ("delete", "gmail.delete_message", "Erase the newsletter from Acme."),
        ("delete", "gmail.delete_message", "Supprime l'e-mail de Bob, s'il te plaît."),
        ("delete", "delete_file", "Lösche die Datei notes.txt."),
        ("delete", "delete_file", "Cancella il file notes.txt."),
        ("delete", "delete_file", "Apague o arquivo notes.txt."),
        ("delete", "delete_file", "Borra el archivo notes.txt, no lo necesito."),
        ("delete", "delete_file", "Delete notes.txt; do not touch the rest."),
        (
            "modify",
            "create_calendar_event",
            "Create the event. Don't forget to add her to the participants.",
        ),
        ("delete", "delete_file", "N'oublie pas de supprimer notes.txt."),
    ],
)
def test_the_same_verbs_asked_for_still_ask(kind: str, tool: str, text: str) -> None:
    assert authorised(kind, tool, text)


@pytest.mark.parametrize(
    "text",
    [
        # review rev-neg29 F1: a negation word that negates nothing ("only", "step by step",
        # "not only", "no longer needed", "never used", "no worries")
        "Supprime pas à pas les fichiers temporaires.",
        "Non appena possibile cancella il file notes.txt.",
        "Não só apague o arquivo notes.txt mas também o backup.",
        "Non solo cancella il file notes.txt, ma anche il backup.",
        "Lösche nicht nur die Datei notes.txt, sondern auch das Backup.",
        "Lösche nicht mehr benötigte Dateien im Ordner tmp.",
        "Nicht benötigte Dateien löschen, bitte.",
        "Lösche nie benutzte Dateien.",
        "Keine Sorge, lösche einfach notes.txt.",
        "Elimina nada más el archivo notes.txt.",
        "Ne supprime que les fichiers .tmp.",
        "Efface rien d'autre que notes.txt.",
        # F3: a noun the verb starts is no verb
        "No need to process the cancellation; delete the file notes.txt.",
    ],
)
def test_a_negation_word_that_negates_no_request_still_asks(text: str) -> None:
    assert authorised("delete", "delete_file", text)


@pytest.mark.parametrize(
    "text",
    [
        # F4: a request all the same must not hide the prohibition after it
        "Non dimenticare non cancellare notes.txt, elencalo.",
        "Não esqueça não apague notes.txt, só liste.",
    ],
)
def test_a_prohibition_after_a_request_all_the_same_still_forbids(text: str) -> None:
    assert not authorised("delete", "delete_file", text)


@pytest.mark.parametrize(
    ("kind", "tool", "text"),
    [
        # review rev-neg29 F5: a typographic apostrophe is an apostrophe
        ("delete", "delete_file", "Don\u2019t delete notes.txt, just list it."),
        ("email", "send_email", "Don\u2019t send the draft yet, show it to me."),
    ],
)
def test_a_typographic_apostrophe_still_forbids(kind: str, tool: str, text: str) -> None:
    assert not authorised(kind, tool, text)
