from dinamis.cli import app

app(prog_name="dinamis")
