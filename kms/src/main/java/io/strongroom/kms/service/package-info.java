/**
 * The KMS's implementation: keys and their material versions, aliases, grants, key policies, the
 * self-describing ciphertext blob, the sealed store, and the audit log writer. {@link
 * io.strongroom.kms.service.KmsService} is the entry point; it knows nothing of HTTP.
 */
@NullMarked
package io.strongroom.kms.service;

import org.jspecify.annotations.NullMarked;
