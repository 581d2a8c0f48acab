import pandas as pd, sqlalchemy
from test_sources import postgres, raw_maven_typed, fill_sqlalchemy  # noqa

def test_order(postgres):
    t = raw_maven_typed()["sales_pipeline"]
    fill_sqlalchemy(postgres["url"], {"sales_pipeline": t})
    e = sqlalchemy.create_engine(postgres["url"])
    with e.connect() as c:
        rows = c.execute(sqlalchemy.text("select opportunity_id, ctid from sales_pipeline")).fetchall()
    print(rows[70:76]); print(list(t.opportunity_id[70:76]))
    ids = [r[0] for r in rows]
    print("same order:", ids == list(t.opportunity_id))
