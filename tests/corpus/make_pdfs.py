"""Turn some of the written domain documents into PDFs (how tests/corpus/domain/*.pdf were made).

Run once with fpdf2 installed: python tests/corpus/make_pdfs.py. The .txt sources are removed so that
each document is in the corpus once.
"""

from pathlib import Path

from fpdf import FPDF

HERE = Path(__file__).parent / "domain"
SOURCES = {
    "sop-invoice-processing.txt": "Supplier invoice processing (SOP-FIN-007)",
    "ransomware-playbook.txt": None,  # no Info title: the first line is the title
    "incident-report-INC-4471.txt": "INC-4471 Degraded search performance",
    "rfp-evaluation-payroll-provider.txt": None,
    "whitepaper-event-sourcing-intro.txt": "Event Sourcing for Business Applications",
    "bank-reconciliation-feb.txt": "Bank reconciliation February 2025",
    "model-card-safety-section-summarizer.txt": None,
}

for name, title in SOURCES.items():
    src = HERE / name
    if not src.exists():
        continue
    text = src.read_text(encoding="utf-8")
    pdf = FPDF()
    pdf.set_auto_page_break(True, 15)
    pdf.add_page()
    pdf.set_font("Helvetica", size=10)
    if title:
        pdf.set_title(title)
        pdf.set_author("Clarity corpus")
    for line in text.splitlines():
        pdf.multi_cell(0, 5, line.encode("latin-1", "replace").decode("latin-1") or " ", new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(src.with_suffix(".pdf")))
    src.unlink()
