-- stock.sql: what each branch can sell today, one row per (branch, product) it lists (`reco catalog`).
--
-- Adapt the FROM/JOIN part to your warehouse; keep the column aliases (lower case):
--   id_agence    integer  branch id, as in agences.sql                                     required
--   id_produit   integer  product id, the same ids as details.sql and ventes.sql           required
--   qte_stock    number   units on hand (null = 0)                                         required
--   commandable  0 or 1   1 = the branch can order it for the customer although it has     optional
--                         none on hand (null or left out = 0)
-- A product is available at a branch when qte_stock > 0 or commandable = 1; a product without
-- a row for a branch is not available there. Map your stock table here (a snapshot table of
-- quantities per depot, or a view over the ERP's stock movements summed per depot), and your
-- "orderable" flag (supplier-direct, special order) if the ERP has one. Reserved quantities may
-- be subtracted in the expression of qte_stock. A (branch, product) pair must not appear twice.
--
-- Plain SQL, unquoted lower-case identifiers: runs on SQL Server, PostgreSQL, MariaDB, SQLite.
SELECT
    s.id_agence AS id_agence,
    s.id_produit AS id_produit,
    s.qte_stock AS qte_stock,
    s.commandable AS commandable
FROM stock s
ORDER BY s.id_agence, s.id_produit
