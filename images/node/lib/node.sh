# shellcheck shell=bash
# Phase node: what `kind build node-image` does after building Kubernetes, minus its
# downloads. Run the base image, add kubeadm, kubelet and kubectl, kind's version file and
# default manifests, import every image archive into containerd's k8s.io namespace (pinned,
# so the kubelet never garbage-collects them), and commit with kind's entrypoint and env.

node_build() {
  local c=kdev-node-build-$$ stage=$WORK/tmp/node-files b want have
  docker rm -f -v "$c" >/dev/null 2>&1 || true
  # shellcheck disable=SC2064 # expand $c now
  trap "docker rm -f -v '$c' >/dev/null 2>&1 || true" EXIT
  docker run -d --name "$c" --entrypoint=sleep --security-opt seccomp=unconfined "$BASE_IMAGE" infinity

  safe_rm "$stage"
  install -d "$stage/usr/bin" "$stage/kind/manifests"
  for b in kubeadm kubelet kubectl; do install -m0755 "$WORK/bin/kubernetes/$b" "$stage/usr/bin/$b"; done
  printf '%s' "$KUBERNETES_VERSION" >"$stage/kind/version"
  install -m0644 "$WORK/kind/default-cni.yaml" "$WORK/kind/default-storage.yaml" "$stage/kind/manifests/"
  tar -C "$stage" --owner=0 --group=0 --numeric-owner -cf - \
    usr/bin/kubeadm usr/bin/kubelet usr/bin/kubectl kind/version kind/manifests | docker cp - "$c:/"
  safe_rm "$stage"

  docker exec "$c" bash -c 'nohup containerd >/tmp/containerd.log 2>&1 &'
  docker exec "$c" bash -c 'for _ in $(seq 50); do ctr version >/dev/null 2>&1 && exit 0; sleep 0.2; done
    cat /tmp/containerd.log; exit 1'
  for b in "$WORK"/images/*.tar; do
    echo "importing $(basename "$b")"
    docker exec -i "$c" ctr --namespace=k8s.io images import --label=io.cri-containerd.pinned=pinned \
      --all-platforms --no-unpack --digests - <"$b"
  done
  have=$(docker exec "$c" ctr --namespace=k8s.io images list -q)
  while read -r want; do
    grep -qxF "$want" <<<"$have" || die "$want is missing from the node's containerd"
  done <"$WORK/images/refs.txt"
  docker exec "$c" ctr --namespace=k8s.io images list
  docker exec "$c" bash -c 'pkill containerd; for _ in $(seq 50); do pgrep containerd >/dev/null || break; sleep 0.2; done
    rm -rf /tmp/containerd.log /run/containerd'

  docker commit \
    --change 'ENTRYPOINT [ "/usr/local/bin/entrypoint", "/sbin/init" ]' \
    --change 'ENV HTTP_PROXY="" HTTPS_PROXY="" NO_PROXY=""' \
    "$c" "$NODE_IMAGE"
}
