package outbox

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// ErrWrongKey is returned by Open when the storage keyring cannot open what
// this file was sealed with.
var ErrWrongKey = errors.New("outbox: the storage keyring cannot open this database's sealed data")

var keycheckPlain = []byte("provisioner storage key check v1")

// checkKey proves the keyring opens this file's sealed data. A new file
// gets a check value; after a key rotation (the old key kept second) the
// value is resealed with the new primary key.
func (s *Store) checkKey(ctx context.Context) error {
	var sealed []byte
	err := s.w.GetContext(ctx, &sealed, "SELECT value FROM meta WHERE key = 'keycheck'")
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("read key check: %w", err)
	}
	if err == nil {
		plain, oerr := s.keys.OpenBytes(sealed, []byte("keycheck"))
		if oerr != nil {
			return fmt.Errorf("%w: %w", ErrWrongKey, oerr)
		}
		if !bytes.Equal(plain, keycheckPlain) {
			return ErrWrongKey
		}
	}
	fresh, err := s.keys.SealBytes(keycheckPlain, []byte("keycheck"))
	if err != nil {
		return fmt.Errorf("seal key check: %w", err)
	}
	_, err = s.w.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES ('keycheck', ?)
		ON CONFLICT(key) DO UPDATE SET value = excluded.value`, fresh)
	if err != nil {
		return fmt.Errorf("write key check: %w", err)
	}
	return nil
}
