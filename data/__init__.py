"""skladki's data, installed as the package ``skladki_data``: rulebooks, payroll and bank profiles,
the message catalogue, delegate keys, GUS reference figures, the demo inbox, the PDF font. Read
through ``importlib.resources`` (flows.settings), so an installed skladki finds them anywhere."""
