// pkgcad report viewer: shows the model's GLB (inlined in the page as base64) with three.js.
// Orbit / zoom / pan with the mouse, one checkbox per part group, an optional cut at the centre.
// Bundled by esbuild into pkgcad/view/assets/viewer.js (see web/package.json); nothing is fetched.
import * as THREE from 'three';
import { GLTFLoader } from 'three/addons/loaders/GLTFLoader.js';
import { OrbitControls } from 'three/addons/controls/OrbitControls.js';

function base64ToBuffer(text) {
  const bin = atob(text.replace(/\s+/g, ''));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out.buffer;
}

function hex(rgb) {
  return '#' + rgb.map((v) => Math.round(Math.max(0, Math.min(1, v)) * 255).toString(16).padStart(2, '0')).join('');
}

function start() {
  const host = document.getElementById('viewer');
  const status = document.getElementById('viewer-status');
  const data = JSON.parse(document.getElementById('pkgcad-data').textContent);
  const say = (text) => { if (status) status.textContent = text; };

  let renderer;
  try {
    renderer = new THREE.WebGLRenderer({ antialias: true, preserveDrawingBuffer: true });
  } catch (err) {
    say('This browser cannot show WebGL; the pictures below show the model.');
    window.pkgcadViewer = { ready: false, error: String(err) };
    return;
  }
  renderer.setPixelRatio(window.devicePixelRatio || 1);
  renderer.localClippingEnabled = true;
  renderer.setClearColor(0xf4f5f7, 1);
  host.appendChild(renderer.domElement);

  const scene = new THREE.Scene();
  const camera = new THREE.PerspectiveCamera(30, 1, 0.01, 1000);
  camera.up.set(0, 0, 1); // the model is z-up, millimetres
  scene.add(new THREE.HemisphereLight(0xffffff, 0x606070, 1.6));
  const sun = new THREE.DirectionalLight(0xffffff, 2.2);
  sun.position.set(-2, -5, 8);
  scene.add(sun);
  const fill = new THREE.DirectionalLight(0xffffff, 0.8);
  fill.position.set(5, 3, 2);
  scene.add(fill);

  const controls = new OrbitControls(camera, renderer.domElement);
  const cutPlane = new THREE.Plane(new THREE.Vector3(0, 1, 0), 0); // keeps y >= 0 when the cut is on
  const groups = {}; // group -> [Object3D]
  const materials = [];
  let home = null;

  function draw() { renderer.render(scene, camera); }

  function resize() {
    const w = host.clientWidth || 800;
    const h = host.clientHeight || 500;
    renderer.setSize(w, h, false);
    renderer.domElement.style.width = w + 'px';
    renderer.domElement.style.height = h + 'px';
    camera.aspect = w / h;
    camera.updateProjectionMatrix();
    draw();
  }

  function setVisible(group, on) {
    for (const obj of groups[group] || []) obj.visible = on;
    const box = document.querySelector(`input[data-group="${group}"]`);
    if (box) box.checked = on;
    draw();
  }

  function setCut(on) {
    for (const m of materials) { m.clippingPlanes = on ? [cutPlane] : []; m.needsUpdate = true; }
    const box = document.getElementById('cut-toggle');
    if (box) box.checked = on;
    draw();
  }

  function resetView() {
    if (!home) return;
    camera.position.copy(home.position);
    controls.target.copy(home.target);
    controls.update();
    draw();
  }

  const loader = new GLTFLoader();
  const glb = base64ToBuffer(document.getElementById('pkgcad-glb').textContent);
  loader.parse(glb, '', (gltf) => {
    const root = gltf.scene;
    root.scale.setScalar(1000); // the GLB counts in metres (root node scale 0.001): back to mm
    scene.add(root);
    root.updateMatrixWorld(true);
    root.traverse((obj) => {
      const group = data.instances[obj.name];
      if (group !== undefined) {
        (groups[group] = groups[group] || []).push(obj);
      }
      if (obj.isMesh) {
        obj.material = obj.material.clone();
        obj.material.side = THREE.DoubleSide; // the inside shows through a cut
        obj.material.metalness = Math.min(obj.material.metalness, 0.35); // no environment map to reflect
        materials.push(obj.material);
      }
    });
    const box = new THREE.Box3().setFromObject(root);
    const size = box.getSize(new THREE.Vector3());
    const centre = box.getCenter(new THREE.Vector3());
    const r = size.length() / 2;
    const dist = (r / Math.sin((camera.fov * Math.PI) / 360)) * 0.8;
    const dir = new THREE.Vector3(1, -1.25, 0.9).normalize();
    camera.position.copy(centre).addScaledVector(dir, dist);
    camera.near = dist / 100;
    camera.far = dist * 100;
    controls.target.copy(centre);
    controls.update();
    home = { position: camera.position.clone(), target: centre.clone() };
    cutPlane.constant = -centre.y;
    cutPlane.normal.set(0, 1, 0);

    const list = document.getElementById('parts');
    for (const g of data.groups) {
      const label = document.createElement('label');
      const input = document.createElement('input');
      input.type = 'checkbox';
      input.checked = true;
      input.dataset.group = g.name;
      input.addEventListener('change', () => setVisible(g.name, input.checked));
      const sw = document.createElement('span');
      sw.className = 'swatch';
      sw.style.background = hex(g.color);
      label.append(input, sw, ` ${g.name} `);
      const small = document.createElement('small');
      small.textContent = `${g.material}${g.count > 1 ? ' ×' + g.count : ''}`;
      label.append(small);
      list.appendChild(label);
    }
    document.getElementById('cut-toggle').addEventListener('change', (e) => setCut(e.target.checked));
    document.getElementById('reset-view').addEventListener('click', resetView);
    controls.addEventListener('change', draw);
    window.addEventListener('resize', resize);
    resize();
    say('drag: orbit · wheel: zoom · right-drag: pan');
    window.pkgcadViewer = { ready: true, groups: Object.keys(groups), setVisible, setCut, resetView, draw };
    document.dispatchEvent(new Event('pkgcad-viewer-ready'));
  }, (err) => {
    say('Could not read the model: ' + err);
    window.pkgcadViewer = { ready: false, error: String(err) };
    console.error(err);
  });
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
else start();
