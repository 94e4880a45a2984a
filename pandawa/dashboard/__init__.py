"""The supervisors' dashboard: live board, queue-time figures, charts, drill-down, exports."""
