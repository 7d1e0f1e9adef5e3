"""Version 2: collections, a key/value store shared by a project's runs (``runtime.store.collections``).

Items are keyed ``(collection, key)`` in byte order (``COLLATE "C"``), so
reading in key order and matching a fixed prefix are index ranges; deleting
a collection deletes its items.
"""

SQL = """

CREATE TABLE collections (
  name text COLLATE "C" PRIMARY KEY,
  created_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE collection_items (
  collection text COLLATE "C" NOT NULL REFERENCES collections (name) ON DELETE CASCADE,
  key text COLLATE "C" NOT NULL,
  value text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (collection, key));
"""
