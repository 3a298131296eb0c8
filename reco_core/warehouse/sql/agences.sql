-- agences.sql: the branches (agences) of the catalogue state, one row per branch (`reco catalog`).
--
-- Adapt the FROM/JOIN part to your warehouse; keep the column aliases (lower case):
--   id_agence    integer  branch id, the same ids as stock.sql (and as the API's `agence`)  required
--   lib_agence   text     branch label, shown by the playground's branch picker            optional
--   nb_clients   integer  customers attached to the branch (their home branch): the         optional
--                         evaluation and the bench draw branches in that proportion
-- A branch must not appear twice. A warehouse without branches (no such table) extracts no
-- catalogue state: the API then filters nothing by availability and says so.
--
-- Plain SQL, unquoted lower-case identifiers: runs on SQL Server, PostgreSQL, MariaDB, SQLite.
SELECT
    a.id_agence AS id_agence,
    a.lib_agence AS lib_agence,
    COUNT(c.id_client) AS nb_clients
FROM agences a
LEFT JOIN customers c ON c.id_agence = a.id_agence
GROUP BY a.id_agence, a.lib_agence
ORDER BY a.id_agence
