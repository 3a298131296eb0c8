-- ventes.sql: the order lines that `reco data` turns into baskets, holdout and co-purchase pairs.
--
-- Adapt the FROM/JOIN part to your warehouse; keep the column aliases (lower case):
--   id_commande    integer  order id, shared by the lines of one order          required
--   date_commande  date     order date (day resolution, may be null)             optional (needed by
--                           --since, --until and --holdout-days)
--   profession     text     the customer's trade (PLAQUISTE...), null = AUTRE    required column
--   id_produit     integer  product id, the same ids as details.sql              required
-- One row per order line; a product listed twice in an order counts once. ORDER BY id_commande
-- lets the extraction assemble baskets while it streams.
--
-- Bind parameters for the --since/--until window (both NULL when no window is given):
--   since   first day kept (inclusive)
--   before  the day after --until (exclusive, so datetime columns work too)
-- Write them with a leading colon, as below. Full-line comments are removed before the query
-- is sent, so any text may follow the double dash.
--
-- Co-purchase pairs are deliberately not computed in the warehouse with a self-join of
-- order_lines: that join returns O(sum of squared basket sizes) rows to the server and would count
-- the held-out orders as well. The extraction derives the pairs from these same lines after
-- the holdout split (sparse matrix products, per profession).
--
-- Plain SQL, unquoted lower-case identifiers: runs on SQL Server, PostgreSQL, MariaDB, SQLite.
SELECT
    l.id_commande AS id_commande,
    o.date_commande AS date_commande,
    c.profession AS profession,
    l.id_produit AS id_produit
FROM order_lines l
JOIN orders o ON o.id_commande = l.id_commande
LEFT JOIN customers c ON c.id_client = o.id_client
WHERE (:since IS NULL OR o.date_commande >= :since)
  AND (:before IS NULL OR o.date_commande < :before)
ORDER BY l.id_commande
