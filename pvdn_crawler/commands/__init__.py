"""Project commands (COMMANDS_MODULE): `crawl`, with an exit status cron can act on; `parse`,
`check`, `fetch`, `shell` and `view`, which never write into the archive."""
