#!/bin/sh
# Starts redis-server with the ACL users of connectors/redis-sink/acl/users.acl, their passwords
# taken from the environment instead of the file's local defaults.
set -eu
sed -e "s/>tally-writer-secret/>${TALLY_REDIS_WRITER_PASSWORD}/" \
    -e "s/>tally-analyst-secret/>${TALLY_REDIS_ANALYST_PASSWORD}/" \
    /acl/users.acl > /data/users.acl
# nobody gets in without one of the two users
echo "user default off" >> /data/users.acl
exec redis-server --aclfile /data/users.acl --appendonly yes --dir /data --protected-mode no
