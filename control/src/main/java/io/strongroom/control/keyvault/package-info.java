/**
 * The key vault: per cluster, the cluster key (CEK) wrapped by the root key and the database key (DEK) wrapped by
 * the CEK, kept apart from every cluster's data directory. Format: docs/format/keyvault.md.
 */
@org.jspecify.annotations.NullMarked
package io.strongroom.control.keyvault;
