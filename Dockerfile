# Tally's topology instance: ./tally run, configured through TALLY_* environment variables.
# Built by docker-compose.yml; also usable on its own:
#   docker build -t tally . && docker run -e TALLY_BOOTSTRAP_SERVERS=kafka:9092 tally
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY . .
# the production module only: no broker, Connect runtime, benchmarks or harness in the image
RUN mvn -B -q -DskipTests install -pl app -am \
 && mkdir -p /out/lib \
 && cp $(tr ':' ' ' < app/target/classpath.txt) /out/lib/ \
 && cp app/target/tally-app-*.jar /out/lib/

FROM eclipse-temurin:17-jre
RUN useradd --system --home-dir /var/lib/tally tally && mkdir -p /var/lib/tally && chown tally /var/lib/tally
COPY --from=build /out/lib /opt/tally/lib
COPY config/tally.properties /etc/tally/tally.properties
USER tally
ENV TALLY_STATE_DIR=/var/lib/tally \
    TALLY_ADMIN_PORT=8080
EXPOSE 8080
# ready = Kafka Streams RUNNING (the image has bash, not curl)
HEALTHCHECK --interval=10s --timeout=3s CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/8080 && printf 'GET /ready HTTP/1.0\\r\\n\\r\\n' >&3 && head -1 <&3 | grep -q ' 200 '"]
ENTRYPOINT ["java", "-cp", "/opt/tally/lib/*", "dev.tally.app.Tally", "run", "-c", "/etc/tally/tally.properties"]
