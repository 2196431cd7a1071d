// The GitLab release's asset links (glab release create --assets-links, JSON): the image, the npm package
// and the SBOM a tag publishes.
//   node scripts/release/links.mjs <image> <version> <sbom-url> <project-url>
const [image, version, sbom, project] = process.argv.slice(2);
const minor = version.split('.').slice(0, 2).join('.');
const npmPage = (process.env.NPM_PACKAGE_PAGE ?? 'https://www.npmjs.com/package').replace(/\/$/, '');
process.stdout.write(
  JSON.stringify([
    {
      name: `Container image ${image}:${version} (also :${minor})`,
      url: `${project}/container_registry`,
      link_type: 'image',
    },
    {
      name: `npm package env-reaper@${version}`,
      url: `${npmPage}/env-reaper/v/${version}`,
      link_type: 'package',
    },
    { name: `CycloneDX SBOM env-reaper-${version}.cdx.json`, url: sbom, link_type: 'other' },
  ]),
);
