package io.strongroom.kms;

/** Key policy documents the tests use. */
final class KmsTestPolicies {
    /** Lets every principal do everything: what an attacker would like to put on an AWS-managed key. */
    static final String OPEN = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
            + "\"Principal\":\"*\",\"Action\":\"kms:*\",\"Resource\":\"*\"}]}";

    private KmsTestPolicies() {}
}
