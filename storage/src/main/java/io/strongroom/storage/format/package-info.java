/**
 * Persistent formats of the block store: file headers, blocks, manifests, the catalog and the commit pointer,
 * with their codecs. Each codec's class comment carries its byte layout; {@code docs/format/} explains the
 * invariants. Internal to the storage module.
 */
@NullMarked
package io.strongroom.storage.format;

import org.jspecify.annotations.NullMarked;
