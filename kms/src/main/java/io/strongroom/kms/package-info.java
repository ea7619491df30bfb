/**
 * Strongroom's KMS: an AWS-KMS-compatible key service ({@link io.strongroom.kms.KmsServer}, run alone by
 * {@link io.strongroom.kms.KmsMain}), the client-side {@link io.strongroom.kms.KmsRootKey} that talks to any
 * KMS-API endpoint, and {@link io.strongroom.kms.AuditTrail}, which queries the audit trail.
 */
@NullMarked
package io.strongroom.kms;

import org.jspecify.annotations.NullMarked;
