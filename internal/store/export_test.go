package store

import bolt "go.etcd.io/bbolt"

// rawCount counts the records in the bolt file, expired or not.
func (b *boltBackend) rawCount() int {
	n := 0
	b.db.View(func(tx *bolt.Tx) error {
		n = tx.Bucket(boltBucket).Stats().KeyN
		return nil
	})
	return n
}
