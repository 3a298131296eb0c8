-- statut_produits.sql: the status of every product of the catalogue, one row per product (`reco catalog`).
--
-- Adapt the FROM/JOIN part to your warehouse; keep the column aliases (lower case):
--   id_produit   integer  product id, the same ids as details.sql and ventes.sql           required
--   dereference  0 or 1   1 = delisted (déréférencé): never recommended again (null = 0)   required
--   lib_marque   text     the product's brand, matched by the merchandising rules'         optional
--                         `brand` (Placo, Knauf, the house brand...)
-- Every product of the catalogue must be listed once: a product the model knows but this query
-- does not return is treated as not sellable (delisted). Map your product master's status
-- field here (for instance `CASE WHEN p.statut IN ('DEREF', 'ARRET') THEN 1 ELSE 0 END`), or a
-- date of delisting compared with today's date.
--
-- Plain SQL, unquoted lower-case identifiers: runs on SQL Server, PostgreSQL, MariaDB, SQLite.
SELECT
    p.id_produit AS id_produit,
    COALESCE(s.dereference, 0) AS dereference,
    s.lib_marque AS lib_marque
FROM products p
LEFT JOIN product_status s ON s.id_produit = p.id_produit
ORDER BY p.id_produit
