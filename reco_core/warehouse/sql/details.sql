-- details.sql: the product catalogue, one row per product, for df_details_produits.parquet.
--
-- Adapt the FROM/JOIN part to your warehouse; keep the column aliases (lower case):
--   id_produit   integer  product id, the same ids as ventes.sql              required
--   lib_produit  text     product label                                      optional
--   id_gamme     integer  product range (gamme)                              optional
--   lib_gamme    text     range label                                        optional
--   id_univers   integer  universe (univers), the level above the range      optional
--   lib_univers  text     universe label                                     optional
--   id_marque    0 or 1   1 = own brand (MDD, private label); null = 0       optional
-- An optional column may be left out of the SELECT (for instance when the warehouse has no
-- ranges): it is written as nulls (id_marque as 0). Every product of the catalogue may be
-- listed, sold or not; a product must not appear twice.
--
-- Plain SQL, unquoted lower-case identifiers: runs on SQL Server, PostgreSQL, MariaDB, SQLite.
SELECT
    p.id_produit AS id_produit,
    p.lib_produit AS lib_produit,
    p.id_gamme AS id_gamme,
    g.lib_gamme AS lib_gamme,
    g.id_univers AS id_univers,
    u.lib_univers AS lib_univers,
    p.id_marque AS id_marque
FROM products p
LEFT JOIN gammes g ON g.id_gamme = p.id_gamme
LEFT JOIN univers u ON u.id_univers = g.id_univers
ORDER BY p.id_produit
