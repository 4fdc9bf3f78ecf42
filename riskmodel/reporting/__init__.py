"""Reports: the scenario report behind the notebook, batch runs, workbook and deck.

Top layer of the library: may use everything below it (scenario, simulate, results,
plots, compare). Heavy optional parts (papermill, nbconvert, python-pptx, xlsxwriter)
are imported inside the functions that need them.
"""
