# Three Tugboat nodes forming one cluster on Nomad (Docker driver, host networking, one node per client).
# Members are found through Nomad's own service discovery: the template below renders the addresses of the
# registered "tugboat-hz" services as cluster.members. The list only matters when a node joins, so it is
# rendered once (change_mode = "noop"). On the very first deployment no service is registered yet: run it
# with count = 1, then raise the count (nomad job scale tugboat tugboat 3); rolling updates always find members.
#   nomad var put nomad/jobs/tugboat db_url=postgresql://... webhook_token=... nomad_token=...
#   nomad job run docker/nomad/tugboat.nomad.hcl
job "tugboat" {
  datacenters = ["dc1"]
  type        = "service"

  update {
    max_parallel     = 1
    health_check     = "checks"
    min_healthy_time = "10s"
    healthy_deadline = "3m"
    auto_revert      = true
  }

  group "tugboat" {
    count = 3

    constraint {
      operator = "distinct_hosts"
      value    = "true"
    }

    network {
      mode = "host"
      port "http" {
        static = 8080
      }
      port "hazelcast" {
        static = 5701
      }
      port "eventbus" {
        static = 5801
      }
    }

    # the HTTP API: put a load balancer in front of the healthy instances
    service {
      name     = "tugboat"
      provider = "nomad"
      port     = "http"

      check {
        name     = "ready"
        type     = "http"
        path     = "/health/ready"
        interval = "5s"
        timeout  = "2s"
      }

      check {
        name     = "live"
        type     = "http"
        path     = "/health/live"
        interval = "10s"
        timeout  = "3s"
      }
    }

    # what the members template reads
    service {
      name     = "tugboat-hz"
      provider = "nomad"
      port     = "hazelcast"
    }

    task "tugboat" {
      driver = "docker"

      config {
        image        = "tugboat:latest"
        network_mode = "host"
        args         = ["server", "--config", "/local/tugboat.yaml"]
      }

      # SIGTERM: readiness fails for cluster.drainDelay (5s), in-flight requests finish within
      # http.shutdownTimeout (10s), leases are given back, the node leaves the cluster
      kill_signal  = "SIGTERM"
      kill_timeout = "40s"

      env {
        TUGBOAT_CLUSTER_HOST = "${NOMAD_IP_hazelcast}"
      }

      template {
        destination = "local/members.env"
        env         = true
        change_mode = "noop"
        data        = <<-EOT
          TUGBOAT_CLUSTER_MEMBERS={{ range $i, $s := nomadService "tugboat-hz" }}{{ if $i }},{{ end }}{{ $s.Address }}:{{ $s.Port }}{{ end }}
        EOT
      }

      template {
        destination = "secrets/tugboat.env"
        env         = true
        data        = <<-EOT
          {{ with nomadVar "nomad/jobs/tugboat" }}
          TUGBOAT_DB_URL={{ .db_url }}
          TUGBOAT_AUTH_WEBHOOK_TOKEN={{ .webhook_token }}
          NOMAD_TOKEN={{ .nomad_token }}
          {{ end }}
        EOT
      }

      template {
        destination = "local/tugboat.yaml"
        data        = <<-EOT
          http:
            port: {{ env "NOMAD_PORT_http" }}
            shutdownTimeout: 10s
          cluster:
            enabled: true
            name: tugboat
            port: {{ env "NOMAD_PORT_hazelcast" }}
            eventBusPort: {{ env "NOMAD_PORT_eventbus" }}
            drainDelay: 5s
          # registries, watch.repos, deploy.nomad.address ... as in conf/tugboat.yaml
        EOT
      }

      resources {
        cpu    = 1000
        memory = 768
      }
    }
  }
}
