"""Reads of the jury app, one module per topic; selectors never write.

- ``visibility``: who may see a bid as a juror (the fetch behind ``review.rules``), the
  jurors and pairs a conflict removes from bids (rule: ``review.models.juror_excluded``).
- ``dashboard``: a juror's list of assignments and what each waits for.
- ``criteria``: a call's evaluation grid.
- ``documents``: what a juror reads of a bid (its latest submitted version).
- ``reviews``: the reviews of a bid, and the evaluation summary sent to its institution.
- ``progress``: the administrators' progress page of a call.
- ``assignments``: the assignment page's bids and jurors, pairs that may not be assigned,
  and a proposal's preview.
- ``conflicts``: the administrators' list of conflicts of interest.
- ``staffing``: bids with fewer active jurors than their call plans (*understaffed*), and who
  is told of it.
- ``reminders``: jurors with unfinished reviews, the reminders page (sent, due, messages).
- ``ranking``: a ranking run's input, the runs of a call, a run's result, two runs compared.
- ``panel``: the panel meeting page (every juror's scores, consensus, adjustments, minutes).
- ``decisions``: a call's decision versions and their lines, review counts per bid.
- ``letters``: a decision letter's content (outcome, evaluation summary, redress deadline), its
  recipients, the administrators' letters and appeals page, an institution's published outcome.
- ``results``: what a published call publishes (the open data's rows, the listed jury, the
  method) and the index of published calls.
- ``indexes``: finished runs and computed proposals whose page index is not written yet.

Every list is built with a fixed handful of queries whatever its size (``values()`` and
Python dictionaries, never a query per row); the tests pin the counts at two sizes.
"""
