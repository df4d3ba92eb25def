// Parameter pairs that contradict each other stop the deployment at validation, before anything is created. Each
// check is a parameter that accepts only 'ok'; a failed check is passed its explanation instead, which ARM quotes
// in its error ("The provided value '<explanation>' ... is not valid"). Bicep's fail() would say it more directly,
// but Checkov's Bicep parser cannot read it, and infra/ must stay readable by the scanner.

@description('The bot\'s app id and type: \'ok\', or why the pair is wrong.')
@allowed([
  'ok'
])
param botAppPair string

output botAppPair string = botAppPair
