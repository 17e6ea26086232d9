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
