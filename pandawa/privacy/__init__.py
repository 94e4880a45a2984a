"""A citizen's personal data under UU No. 27/2022 (Pelindungan Data Pribadi): finding it by
number, exporting it whole, erasing it on request, and erasing closed conversations once they
are older than RETENTION_DAYS. The rows stay (ids, times, statuses, queues) so anonymous counts
and figures do not change; what identifies or describes the citizen goes."""
