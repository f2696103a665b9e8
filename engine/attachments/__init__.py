"""Scanned materials of a case (附件): the object store their bytes live in, the checks a scan passes, and
attaching, listing, opening and withdrawing scans. May import core, org, catalogue and cases."""
