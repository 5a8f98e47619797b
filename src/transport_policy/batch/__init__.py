"""Deciding many records in worker processes: inputs (:mod:`.inputs`), the pool shared with
``replay`` and ``impact`` (:mod:`.pool`) and the batch run itself (:mod:`.run`)."""
