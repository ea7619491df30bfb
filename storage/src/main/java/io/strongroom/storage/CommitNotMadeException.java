package io.strongroom.storage;

import io.strongroom.crypto.StrongroomException;

/**
 * A commit that failed before its commit point: nothing was committed and the store stays open. Same code and
 * message as the failure it wraps (its cause), so protocol layers answer it as that failure; the transaction that
 * tried discards the blocks it wrote.
 */
final class CommitNotMadeException extends StrongroomException {
    private static final long serialVersionUID = 1L;

    CommitNotMadeException(StrongroomException cause) {
        super(cause.code(), String.valueOf(cause.getMessage()), cause);
    }
}
